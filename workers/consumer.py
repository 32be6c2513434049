"""The consume loop shared by the workers: micro-batches, two-stage pipelining, ack after commit, drain.

A handler has two stages. ``prepare`` (parse, look up, encode) of batch *n+1* runs while ``commit``
(write, publish, ack) of batch *n* is still in flight; commits run strictly in order.
Failures:
- a transient one (PostgreSQL or RabbitMQ unreachable) retries the same stage with backoff, holding the
  messages, so an outage does not burn their delivery attempts;
- any other one splits the batch and retries message by message, so one poison message cannot take
  its neighbours down; a message that still fails is retried later with a delay, a bounded number of
  times (:mod:`workers.retries`), and then dead-lettered with the error as its reason.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from careerrank.metrics import PipelineMetrics
from workers.connections import TRANSIENT_ERRORS
from workers.retries import DelayedRetry, attempt_of

log = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")
Messages = list[AbstractIncomingMessage]


class BatchHandler(Protocol[P]):
    async def prepare(self, messages: Messages) -> P: ...

    async def commit(self, prepared: P) -> None:
        """Make the batch's effects durable (and publish onwards); the consumer acks the messages after."""
        ...

    async def reject(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Dead-letter one message with ``reason`` and ack it."""
        ...


@dataclass(frozen=True, slots=True)
class BatchLimits:
    max_batch: int
    max_wait_s: float


class BatchConsumer(Generic[P]):
    """Consumes ``queue`` in micro-batches into ``handler`` until :meth:`stop`."""

    def __init__(
        self,
        name: str,
        queue: AbstractQueue,
        handler: BatchHandler[P],
        limits: BatchLimits,
        metrics: PipelineMetrics,
        retry: DelayedRetry | None = None,
    ) -> None:
        self.name = name
        self._retry = retry
        self._queue = queue
        self._handler = handler
        self._limits = limits
        self._metrics = metrics
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
            try:
                await self._queue.cancel(self._consumer_tag)
            except TRANSIENT_ERRORS:
                log.warning("consumer cancel failed: channel already gone", extra={"worker": self.name})
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
            await _quietly(self._inbox.get_nowait().nack(requeue=True))
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
                ok, prepared, error = await self._retrying("prepare", functools.partial(self._handler.prepare, batch))
                if committing is not None:
                    await committing
                if ok:
                    committing = asyncio.create_task(self._commit(batch, prepared))  # type: ignore[arg-type]
                else:
                    committing = asyncio.create_task(self._isolate(batch, error))
                self.batches += 1
            if committing is not None:
                await committing
        finally:
            if committing is not None and not committing.done():
                committing.cancel()

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

    async def _commit(self, batch: Messages, prepared: P) -> None:
        ok, _, error = await self._retrying("commit", lambda: self._handler.commit(prepared))
        if ok:
            await _ack(batch)
        else:
            await self._isolate(batch, error)

    async def _isolate(self, batch: Messages, error: BaseException | None) -> None:
        """Process message by message; retry later, then dead-letter, the ones that fail on their own."""
        self._metrics.errors.labels(self.name).inc()
        pending = [m for m in batch if not m.processed]  # some were settled before (e.g. dead-lettered in prepare)
        if len(pending) == 1 and error is not None:
            # A batch of one has already failed alone: running it again would only repeat that.
            await self._failed(pending[0], error)
            return
        for message in pending:
            try:
                prepared = await self._handler.prepare([message])
                await self._handler.commit(prepared)
                await _ack([message])
            except TRANSIENT_ERRORS:
                await _quietly(message.nack(requeue=True))
            except Exception as exc:
                log.exception("message failed on its own", extra={"worker": self.name})
                await self._failed(message, exc)

    async def _failed(self, message: AbstractIncomingMessage, exc: BaseException) -> None:
        """Park the message for a delayed retry, or dead-letter it when its retries are used up."""
        error = type(exc).__name__
        try:
            if self._retry is not None and await self._retry.schedule(message, error):
                return
            attempts = attempt_of(message) + 1
            await self._handler.reject(message, f"processing error: {error} (attempt {attempts}, no retries left)")
        except Exception:
            # Cannot even park or dead-letter it: give it back; the queue's delivery limit ends its loop.
            log.exception("retry or dead-lettering failed", extra={"worker": self.name})
            if not message.processed:
                await _quietly(message.nack(requeue=True))

    async def _retrying(
        self, stage: str, call: Callable[[], Awaitable[R]]
    ) -> tuple[bool, R | None, BaseException | None]:
        """Run ``call``; on transient errors wait and retry; on others return ``(False, None, error)``."""
        delay = 0.5
        while True:
            try:
                with self._metrics.stage_seconds.labels(self.name, stage).time():
                    result = await call()
                return True, result, None
            except TRANSIENT_ERRORS as exc:
                log.warning(
                    f"{stage} hit an unavailable service; retrying the batch",
                    extra={"worker": self.name, "error": type(exc).__name__, "delay_s": delay},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception as exc:
                log.exception(f"{stage} failed; isolating the batch", extra={"worker": self.name})
                return False, None, exc


async def _ack(messages: Messages) -> None:
    """Ack what the handler did not settle itself. A message delivered on a channel that has since died
    cannot be acked; the broker redelivers it and the handlers recognise it as done."""
    for message in messages:
        if not message.processed:
            await _quietly(message.ack())


async def _quietly(ack: Awaitable[object]) -> None:
    """Ack/nack on a channel that died is harmless: the broker redelivers and handlers are idempotent."""
    try:
        await ack
    except Exception as exc:
        log.warning("ack/nack not delivered; the message will be redelivered", extra={"error": type(exc).__name__})
