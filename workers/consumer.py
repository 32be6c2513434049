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

A message that kills the process raises nothing: it comes back, with its whole prefetch window, when the
worker restarts. One that came back often is tried alone, on the record (:mod:`workers.crash_guard`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from careerrank.backoff import until_available
from careerrank.errors import RejectedError, SetupError, TransientError, suppressed
from careerrank.observability import PipelineMetrics
from workers.crash_guard import CrashGuard, LoneTry
from workers.dead_letters import DeadLetterSink
from workers.handler import BatchHandler
from workers.inbox import BatchLimits, Inbox
from workers.retries import DelayedRetry, attempt_of

log = logging.getLogger(__name__)

D = TypeVar("D")
D_co = TypeVar("D_co", covariant=True)
P = TypeVar("P")
R = TypeVar("R")
Messages = list[AbstractIncomingMessage]
# What a stage gave: (succeeded, its result, the error it failed with, one neither transient nor setup).
_Prepared = tuple[bool, P | None, BaseException | None]


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
        guard: CrashGuard | None = None,
    ) -> None:
        self.name = name
        self._queue = queue
        self._handler = handler
        self._limits = limits
        self._metrics = metrics
        self._dead = dead_letters
        self._retry = retry
        self._guard = guard
        self._inbox = Inbox()
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
                guard = self._guard
                suspects = [m for m in batch if guard is not None and guard.is_suspect(m)]
                if suspects:
                    if committing is not None:
                        await committing  # from here on, a death of the worker happens during one lone try
                        committing = None
                    rest = [m for m in batch if not guard.is_suspect(m)]  # type: ignore[union-attr]
                    batch = await self._try_alone(suspects, rest)
                    if not batch:
                        continue
                self._metrics.batch_size.labels(self.name).observe(len(batch))
                deliveries, prepared = await self._prepare(await self._decode(batch))
                if committing is not None:
                    await committing
                committing = asyncio.create_task(self._finish(deliveries, prepared))
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
        return await self._inbox.collect(self._limits, self._stopping)

    async def _try_alone(self, suspects: Messages, rest: Messages) -> Messages:
        """Process each suspect on its own, on the record; return the rest of the batch."""
        log.info("trying redelivered messages alone", extra={"worker": self.name, "messages": len(suspects)})
        for done, message in enumerate(suspects):
            if self._stopping.is_set():  # the untried go back to the broker with the rest of the batch
                for untried in suspects[done:] + rest:
                    await suppressed(untried.nack(requeue=True), "nack of an untried message")
                return []
            await self._try_one(message)
        return rest

    async def _try_one(self, message: AbstractIncomingMessage) -> None:
        guard = self._guard
        assert guard is not None
        crashes = await self._patiently("lone try", partial(guard.begin, message))
        # However the try ends, the worker lived through it: no evidence against the message. The record goes
        # before the message is settled (see LoneTry), or here if nothing settled it.
        alone = LoneTry(message, partial(self._patiently, "lone try", partial(guard.end, message)))
        on_record = alone.as_message()
        try:
            if crashes >= guard.crash_limit:
                reason = guard.reason(crashes)
                await self._patiently("dead-lettering", partial(self._dead.send, on_record, "crashed_worker", reason))
                return
            deliveries = await self._decode([on_record])
            if deliveries:
                await self._finish(*await self._prepare(deliveries))
        finally:
            await suppressed(alone.end(), "end of a lone try")

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

    async def _prepare(self, deliveries: list[_Delivery[D]]) -> tuple[list[_Delivery[D]], _Prepared[P]]:
        values = [d.value for d in deliveries]
        return deliveries, await self._stage("prepare", partial(self._handler.prepare, values))

    async def _finish(self, deliveries: Sequence[_Delivery[D]], prepared: _Prepared[P]) -> None:
        """Commit a prepared batch, or process it message by message if preparing it failed."""
        ok, value, error = prepared
        if ok:
            await self._commit(deliveries, value)  # type: ignore[arg-type]
        else:
            await self._isolate(deliveries, error)

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

    async def _stage(self, stage: str, call: Callable[[], Awaitable[R]]) -> _Prepared[R]:
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
