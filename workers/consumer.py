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
  (:mod:`workers.retries`), and then dead-lettered with the error's type as its reason. A message of several
  events that fails on its own is split into its events in turn: the good ones are applied, and each one
  that fails (in the database, say, where validation could not see it) is retried or dead-lettered alone.

A message that kills the process raises nothing: it comes back, with its whole prefetch window, when the
worker restarts. One that came back often is tried alone, on the record (:mod:`workers.crash_guard`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Generic, TypeVar

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from careerrank.errors import RejectedError, SetupError, suppressed
from careerrank.observability import PipelineMetrics
from workers.crash_guard import CrashGuard, LoneTry
from workers.dead_letters import DeadLetterSink
from workers.handler import BatchHandler
from workers.inbox import BatchLimits, Inbox
from workers.isolation import Delivery, Isolation, ack_unsettled, patiently
from workers.retries import DelayedRetry

log = logging.getLogger(__name__)

D = TypeVar("D")
P = TypeVar("P")
R = TypeVar("R")
Messages = list[AbstractIncomingMessage]
# What a stage gave: (succeeded, its result, the error it failed with, one neither transient nor setup).
_Prepared = tuple[bool, P | None, BaseException | None]


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
        self._isolation = Isolation(name, handler, metrics, dead_letters, retry)
        self._inbox = Inbox()
        self._consumer_tag: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._consuming_since = time.monotonic()
        self.batches = 0

    async def start(self) -> None:
        self._consuming_since = time.monotonic()
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
                    if rest and self._in_start_up_window():
                        await self._finish(*await self._prepare(await self._decode(rest)))  # these need not wait
                        rest = []
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

    def _in_start_up_window(self) -> bool:
        assert self._guard is not None
        return time.monotonic() - self._consuming_since < self._guard.start_up_window_s

    async def _outlive_start_up_window(self) -> None:
        """Until the worker has consumed for the guard's start-up window (or stops).

        A worker that dies this early (a crash loop, a bad deploy, a probe that kills it at start) dies of
        something else than the message it holds: a lone try begun now would count that death against an
        innocent message. Begun after the window, a death during it is the message's doing or chance.
        """
        assert self._guard is not None
        remaining = self._guard.start_up_window_s - (time.monotonic() - self._consuming_since)
        if remaining <= 0:
            return
        log.info("lone tries wait for the start-up window", extra={"worker": self.name, "wait_s": round(remaining, 2)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), remaining)

    async def _try_alone(self, suspects: Messages, rest: Messages) -> Messages:
        """Process each suspect on its own, on the record; return the rest of the batch."""
        await self._outlive_start_up_window()
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

    async def _decode(self, batch: Messages) -> list[Delivery[D]]:
        """Decode each message; dead-letter the rejected ones (and rejected elements) now, keep the rest."""
        deliveries: list[Delivery[D]] = []
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
                await self._isolation.settle(message, exc)
                continue
            deliveries.append(Delivery(message, decoded.value, decoded.elements))
        return deliveries

    async def _prepare(self, deliveries: list[Delivery[D]]) -> tuple[list[Delivery[D]], _Prepared[P]]:
        values = [d.value for d in deliveries]
        return deliveries, await self._stage("prepare", partial(self._handler.prepare, values))

    async def _finish(self, deliveries: Sequence[Delivery[D]], prepared: _Prepared[P]) -> None:
        """Commit a prepared batch, or process it message by message if preparing it failed."""
        ok, value, error = prepared
        if ok:
            await self._commit(deliveries, value)  # type: ignore[arg-type]
        else:
            await self._isolation.isolate(deliveries, error)

    async def _commit(self, deliveries: Sequence[Delivery[D]], prepared: P) -> None:
        ok, _, error = await self._stage("commit", lambda: self._handler.commit(prepared))
        if ok:
            await ack_unsettled([d.message for d in deliveries])
        else:
            await self._isolation.isolate(deliveries, error)

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
        return await patiently(self.name, what, call)
