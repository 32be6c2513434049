"""The consume loop shared by the workers: micro-batches, two-stage pipelining, ack after commit, drain.

A handler decodes each message on its own, then works on a batch in two stages. ``prepare`` (look up,
encode) of batch *n+1* runs while ``commit`` (write, publish) of batch *n* is still in flight; commits run
strictly in order, and a batch's messages are acked after its commit.

What happens to a message is decided by the class of the error (see :mod:`careerrank.errors`):

- :class:`~careerrank.errors.TransientError` (PostgreSQL or RabbitMQ away, a model switch in progress): the
  stage is retried with backoff, holding the messages, so an outage does not burn their delivery attempts;
- :class:`~careerrank.errors.RejectedError` (the message can never be processed): dead-lettered at once with
  its code and reason; one bad element of a batch message is dead-lettered alone and the rest go on;
- :class:`~careerrank.errors.SetupError`: the loop ends with it, nothing more is acked, the worker exits;
- any other error splits the batch and retries message by message, so one poison message cannot take its
  neighbours down; a message that still fails is retried later with a delay, a bounded number of times
  (:mod:`workers.retries`), and then dead-lettered with the error's type as its reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Generic, Protocol, TypeVar

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from careerrank.backoff import until_available
from careerrank.errors import RejectedError, SetupError, TransientError, suppressed
from careerrank.observability import PipelineMetrics
from workers.dead_letters import DeadLetterSink, RejectedPart
from workers.retries import DelayedRetry, attempt_of

log = logging.getLogger(__name__)

D = TypeVar("D")
D_co = TypeVar("D_co", covariant=True)
P = TypeVar("P")
R = TypeVar("R")
Messages = list[AbstractIncomingMessage]


@dataclass(frozen=True, slots=True)
class Decoded(Generic[D]):
    """What a handler made of one message, and the elements of it rejected on their own."""

    value: D
    rejected: tuple[RejectedPart, ...] = ()


class BatchHandler(Protocol[D, P]):
    def decode(self, message: AbstractIncomingMessage) -> Decoded[D]:
        """Parse and validate one message; raise :class:`~careerrank.errors.RejectedError` if it can never be
        processed. Pure: no I/O, so nothing here is retried."""
        ...

    async def prepare(self, batch: list[D]) -> P: ...

    async def commit(self, prepared: P) -> None:
        """Make the batch's effects durable (and publish onwards); the consumer acks the messages after."""
        ...


@dataclass(frozen=True, slots=True)
class BatchLimits:
    max_batch: int
    max_wait_s: float


@dataclass(frozen=True, slots=True)
class _Delivery(Generic[D_co]):
    message: AbstractIncomingMessage
    value: D_co


class BatchConsumer(Generic[D, P]):
    """Consumes ``queue`` in micro-batches into ``handler`` until :meth:`stop`."""

    def __init__(
        self,
        name: str,
        queue: AbstractQueue,
        handler: BatchHandler[D, P],
        limits: BatchLimits,
        metrics: PipelineMetrics,
        dead_letters: DeadLetterSink,
        retry: DelayedRetry | None = None,
    ) -> None:
        self.name = name
        self._queue = queue
        self._handler = handler
        self._limits = limits
        self._metrics = metrics
        self._dead = dead_letters
        self._retry = retry
        self._inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._consumer_tag: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.batches = 0

    async def start(self) -> None:
        self._consumer_tag = await self._queue.consume(self._inbox.put)
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-loop")

    @property
    def failed(self) -> BaseException | None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            return self._task.exception()
        return None

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self, timeout_s: float) -> float:
        """Stop taking messages, finish the batch in hand, return the rest unacked; return drain seconds."""
        started = time.monotonic()
        if self._consumer_tag is not None:
            await suppressed(self._queue.cancel(self._consumer_tag), "consumer cancel (the channel is gone)")
            self._consumer_tag = None
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except TimeoutError:
                log.warning("drain timed out; cancelling in-flight batch", extra={"worker": self.name})
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            except Exception:
                log.exception("consume loop ended with an error", extra={"worker": self.name})
        # Prefetched but never batched: hand back to the broker untouched.
        while not self._inbox.empty():
            await suppressed(self._inbox.get_nowait().nack(requeue=True), "nack of an unbatched message")
        drained = time.monotonic() - started
        log.info("drained", extra={"worker": self.name, "drain_s": round(drained, 3), "batches": self.batches})
        return drained

    async def _run(self) -> None:
        committing: asyncio.Task[None] | None = None
        try:
            while True:
                batch = await self._collect()
                if not batch:
                    break
                self._metrics.batch_size.labels(self.name).observe(len(batch))
                deliveries = await self._decode(batch)
                values = [d.value for d in deliveries]
                ok, prepared, error = await self._stage("prepare", partial(self._handler.prepare, values))
                if committing is not None:
                    await committing
                if ok:
                    committing = asyncio.create_task(self._commit(deliveries, prepared))  # type: ignore[arg-type]
                else:
                    committing = asyncio.create_task(self._isolate(deliveries, error))
                committing.add_done_callback(self._stop_on_failure)
                self.batches += 1
            if committing is not None:
                await committing
        finally:
            if committing is not None and not committing.done():
                committing.cancel()

    def _stop_on_failure(self, committing: asyncio.Task[None]) -> None:
        # A commit that failed for good (a setup error) takes no new batch: the loop ends with its error.
        if not committing.cancelled() and committing.exception() is not None:
            self._stopping.set()

    async def _collect(self) -> Messages:
        """Wait for a first message (or stop), then take more until the batch is full or max_wait passes."""
        first: AbstractIncomingMessage | None = None
        while first is None:
            if self._stopping.is_set():  # no new batch once stopping; the rest goes back unacked
                return []
            getter = asyncio.ensure_future(self._inbox.get())
            stopper = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter in done:
                first = getter.result()
            else:
                getter.cancel()
        batch = [first]
        deadline = time.monotonic() + self._limits.max_wait_s
        while len(batch) < self._limits.max_batch:
            try:
                batch.append(self._inbox.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping.is_set():
                break
            try:
                batch.append(await asyncio.wait_for(self._inbox.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def _decode(self, batch: Messages) -> list[_Delivery[D]]:
        """Decode each message; dead-letter the rejected ones (and rejected elements) now, keep the rest."""
        deliveries: list[_Delivery[D]] = []
        for message in batch:
            try:
                decoded = self._handler.decode(message)
                for part in decoded.rejected:
                    await self._patiently("dead-lettering", partial(self._dead.send_part, message, part))
            except SetupError:
                raise
            except Exception as exc:
                if not isinstance(exc, RejectedError):
                    log.exception("decoding failed", extra={"worker": self.name})
                await self._settle(message, exc)
                continue
            deliveries.append(_Delivery(message, decoded.value))
        return deliveries

    async def _commit(self, deliveries: Sequence[_Delivery[D]], prepared: P) -> None:
        ok, _, error = await self._stage("commit", lambda: self._handler.commit(prepared))
        if ok:
            await _ack([d.message for d in deliveries])
        else:
            await self._isolate(deliveries, error)

    async def _isolate(self, deliveries: Sequence[_Delivery[D]], error: BaseException | None) -> None:
        """Process message by message; retry later, then dead-letter, the ones that fail on their own."""
        self._metrics.errors.labels(self.name).inc()
        pending = [d for d in deliveries if not d.message.processed]
        if len(pending) == 1 and error is not None:
            # A batch of one has already failed alone: running it again would only repeat that.
            await self._settle(pending[0].message, error)
            return
        for delivery in pending:
            try:
                prepared = await self._handler.prepare([delivery.value])
                await self._handler.commit(prepared)
                await _ack([delivery.message])
            except TransientError:
                await suppressed(delivery.message.nack(requeue=True), "nack for redelivery")
            except SetupError:
                raise
            except Exception as exc:
                log.exception("message failed on its own", extra={"worker": self.name})
                await self._settle(delivery.message, exc)

    async def _settle(self, message: AbstractIncomingMessage, exc: BaseException) -> None:
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
            log.exception("retry or dead-lettering failed", extra={"worker": self.name})
            if not message.processed:
                await suppressed(message.nack(requeue=True), "nack for redelivery")

    async def _stage(self, stage: str, call: Callable[[], Awaitable[R]]) -> tuple[bool, R | None, BaseException | None]:
        """Run ``call``, waiting out transient errors; on any other (but a setup error) return it."""

        async def timed() -> R:
            with self._metrics.stage_seconds.labels(self.name, stage).time():
                return await call()

        try:
            return True, await self._patiently(stage, timed), None
        except SetupError:
            raise
        except Exception as exc:
            log.exception(f"{stage} failed; isolating the batch", extra={"worker": self.name})
            return False, None, exc

    async def _patiently(self, what: str, call: Callable[[], Awaitable[R]]) -> R:
        """``call()``, retried with backoff for as long as a service it needs is unavailable."""
        message = f"{what} hit an unavailable service; retrying the batch"
        return await until_available(call, message, extra={"worker": self.name})


async def _ack(messages: Messages) -> None:
    """Ack what was not settled otherwise. A message delivered on a channel that has since died cannot be
    acked; the broker redelivers it and the handlers recognise it as done."""
    for message in messages:
        if not message.processed:
            await suppressed(message.ack(), "ack (the message will be redelivered)")
