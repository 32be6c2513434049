"""Telling a message that kills the worker from the innocent messages that died with it.

A consumer that dies (SIGKILL, OOM, a segfault in a native library) hands every unacked message back to the
broker, which counts one more delivery for each: a crash loop raises the count of a whole prefetch window at
once, so the count alone says nothing about which message is to blame. Here a message delivered
``suspect_after`` times is tried alone, and the try is written to PostgreSQL before it starts and deleted when
it ends, however it ends, and always before the message is settled: a worker killed between the two leaves
a message that comes back with no record (and is recognised as done), never a record of a message that is
gone. A try still written down when the message comes back means the worker died while it held that message
and nothing else. After ``crash_limit`` such deaths the message is dead-lettered with
that reason; an innocent one finishes its lone try and goes on as usual.

A lone try begins only once the worker has consumed for ``start_up_window_s``: a worker in a crash loop that
dies within moments of each start (a bad deploy, an OOM, a probe, an operator's kill) dies before any lone
try, and so blames no message, while one that a message kills dies during that message's try whenever it
begins.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aio_pika.abc import AbstractIncomingMessage

from careerrank.observability import PipelineMetrics
from careerrank.settings import AmqpSettings
from careerrank.storage import Database

log = logging.getLogger(__name__)

DELIVERY_COUNT_HEADER = "x-delivery-count"  # set by quorum queues on every redelivery


def deliveries_before(message: AbstractIncomingMessage) -> int:
    """How often the broker delivered this message before (0 for a first delivery)."""
    count = (message.headers or {}).get(DELIVERY_COUNT_HEADER)
    if isinstance(count, int) and count >= 0:
        return count
    return 1 if message.redelivered else 0


def message_key(message: AbstractIncomingMessage) -> bytes:
    return hashlib.sha256(message.body).digest()[:16]


class CrashGuard:
    """Which messages to try alone, and the written record of their tries."""

    def __init__(
        self, worker: str, queue: str, settings: AmqpSettings, database: Database, metrics: PipelineMetrics
    ) -> None:
        self._worker = worker
        self._queue = queue
        self._suspect_after = settings.suspect_after
        self.crash_limit = settings.crash_limit
        self.start_up_window_s = settings.start_up_window_s
        self._database = database
        self._metrics = metrics

    def is_suspect(self, message: AbstractIncomingMessage) -> bool:
        return deliveries_before(message) >= self._suspect_after

    async def begin(self, message: AbstractIncomingMessage) -> int:
        """Write down that a lone try starts; return how often the worker died during an earlier one."""
        async with self._database.session() as session:
            crashes = await session.trials.begin(self._queue, message_key(message))
        self._metrics.lone_tries.labels(self._worker, "after_crash" if crashes else "first").inc()
        if crashes:
            log.warning(
                "the worker died while trying this message alone before; trying it alone again",
                extra={"worker": self._worker, "crashes": crashes, "deliveries": deliveries_before(message)},
            )
        return crashes

    async def end(self, message: AbstractIncomingMessage) -> None:
        async with self._database.session() as session:
            await session.trials.end(self._queue, message_key(message))

    def reason(self, crashes: int) -> str:
        return f"the worker died {crashes} times while processing this message alone"


class LoneTry:
    """A message in its lone try: acking, nacking or rejecting it first deletes the record of the try."""

    def __init__(self, message: AbstractIncomingMessage, end: Callable[[], Awaitable[None]]) -> None:
        self._message = message
        self._end = end
        self.ended = False

    def as_message(self) -> AbstractIncomingMessage:
        """This try where a message is expected: everything but settling goes to the message itself."""
        return cast(AbstractIncomingMessage, self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._message, name)

    async def end(self) -> None:
        if not self.ended:
            await self._end()
            self.ended = True

    async def ack(self, multiple: bool = False) -> None:
        await self.end()
        await self._message.ack(multiple=multiple)

    async def nack(self, multiple: bool = False, requeue: bool = True) -> None:
        await self.end()
        await self._message.nack(multiple=multiple, requeue=requeue)

    async def reject(self, requeue: bool = False) -> None:
        await self.end()
        await self._message.reject(requeue=requeue)
