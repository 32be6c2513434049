"""What the consume loop does with work that failed: one message at a time, then one event at a time, and
each that still fails on its own retried later or dead-lettered (see :mod:`workers.consumer`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from aio_pika.abc import AbstractIncomingMessage

from careerrank.backoff import until_available
from careerrank.errors import RejectedError, SetupError, TransientError, suppressed
from careerrank.observability import PipelineMetrics
from workers.dead_letters import DeadLetterSink, RejectedPart
from workers.handler import BatchHandler, Element
from workers.retries import DelayedRetry, attempt_of

log = logging.getLogger(__name__)

D = TypeVar("D")
D_co = TypeVar("D_co", covariant=True)
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Delivery(Generic[D_co]):
    """A decoded message; ``elements`` splits a message of several events into one value per event."""

    message: AbstractIncomingMessage
    value: D_co
    elements: Callable[[], list[Element[D_co]]] | None = None


async def patiently(worker: str, what: str, call: Callable[[], Awaitable[R]]) -> R:
    """``call()``, retried with backoff for as long as a service it needs is unavailable."""
    message = f"{what} hit an unavailable service; retrying the batch"
    return await until_available(call, message, extra={"worker": worker})


class Isolation(Generic[D]):
    """Applies failed work piece by piece, and settles each piece that fails on its own."""

    def __init__(
        self,
        name: str,
        handler: BatchHandler[D, Any],
        metrics: PipelineMetrics,
        dead_letters: DeadLetterSink,
        retry: DelayedRetry | None,
    ) -> None:
        self._name = name
        self._handler = handler
        self._metrics = metrics
        self._dead = dead_letters
        self._retry = retry

    async def _patiently(self, what: str, call: Callable[[], Awaitable[R]]) -> R:
        return await patiently(self._name, what, call)

    async def isolate(self, deliveries: Sequence[Delivery[D]], error: BaseException | None) -> None:
        """Process message by message; retry later, then dead-letter, the ones that fail on their own."""
        self._metrics.errors.labels(self._name).inc()
        pending = [d for d in deliveries if not d.message.processed]
        if len(pending) == 1 and error is not None:
            # A batch of one has already failed alone: running it again would only repeat that.
            await self._failed_alone(pending[0], error)
            return
        for delivery in pending:
            try:
                await self._apply(delivery.value)
                await ack_unsettled([delivery.message])
            except TransientError:
                await suppressed(delivery.message.nack(requeue=True), "nack for redelivery")
            except SetupError:
                raise
            except Exception as exc:
                log.exception("message failed on its own", extra={"worker": self._name})
                await self._failed_alone(delivery, exc)

    async def _failed_alone(self, delivery: Delivery[D], error: BaseException) -> None:
        """A message that failed on its own: settle it, or, if it holds several events, each of them alone."""
        if delivery.elements is None:
            await self.settle(delivery.message, error)
            return
        message = delivery.message
        for element in delivery.elements():
            try:
                await self._apply(element.value)
            except TransientError:
                # The elements applied so far are recognised as done when the message comes back.
                await suppressed(message.nack(requeue=True), "nack for redelivery")
                return
            except SetupError:
                raise
            except Exception as exc:
                log.exception("batch element failed on its own", extra={"worker": self._name, "index": element.index})
                try:
                    await self._settle_element(message, element, exc)
                except Exception:
                    log.exception("retry or dead-lettering failed", extra={"worker": self._name})
                    await suppressed(message.nack(requeue=True), "nack for redelivery")
                    return
        await ack_unsettled([message])

    async def _apply(self, value: D) -> None:
        await self._handler.commit(await self._handler.prepare([value]))

    async def _settle_element(self, message: AbstractIncomingMessage, element: Element[D], exc: Exception) -> None:
        """Dead-letter one element of a batch message, or park it alone for a delayed retry."""
        if isinstance(exc, RejectedError):
            rejected = exc
        else:
            error = type(exc).__name__
            retry = self._retry
            park = partial(retry.park, message, error, element.body) if retry is not None else None
            if park is not None and await self._patiently("retry", park):
                return
            reason = f"processing error: {error} (attempt {attempt_of(message) + 1}, no retries left)"
            rejected = RejectedError("processing_error", reason)
        part = RejectedPart(element.index, element.body, rejected)
        await self._patiently("dead-lettering", partial(self._dead.send_part, message, part))

    async def settle(self, message: AbstractIncomingMessage, exc: BaseException) -> None:
        """A message that failed on its own: dead-letter it now if it was rejected; otherwise park it for a
        delayed retry, or dead-letter it when its retries are used up."""
        try:
            if isinstance(exc, RejectedError):
                code, reason = exc.code, exc.reason
            else:
                error = type(exc).__name__
                retry = self._retry
                if retry is not None and await self._patiently("retry", partial(retry.schedule, message, error)):
                    return
                code = "processing_error"
                reason = f"processing error: {error} (attempt {attempt_of(message) + 1}, no retries left)"
            await self._patiently("dead-lettering", partial(self._dead.send, message, code, reason))
        except Exception:
            # Cannot even park or dead-letter it: give it back; the queue's delivery limit ends its loop.
            log.exception("retry or dead-lettering failed", extra={"worker": self._name})
            if not message.processed:
                await suppressed(message.nack(requeue=True), "nack for redelivery")


async def ack_unsettled(messages: list[AbstractIncomingMessage]) -> None:
    """Ack what was not settled otherwise. A message delivered on a channel that has since died cannot be
    acked; the broker redelivers it and the handlers recognise it as done."""
    for message in messages:
        if not message.processed:
            await suppressed(message.ack(), "ack (the message will be redelivered)")
