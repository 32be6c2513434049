"""Dead-lettering with a reason: to the dead-letter queue (for operators) and to PostgreSQL (for replay)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from careerrank.errors import RejectedError, TransientError
from careerrank.messaging import forwarded, publish_one, recorded_key
from careerrank.observability import PipelineMetrics
from careerrank.storage import Database

log = logging.getLogger(__name__)

REASON_HEADER = "x-careerrank-reason"
QUEUE_HEADER = "x-careerrank-queue"
BATCH_INDEX_HEADER = "x-careerrank-batch-index"
HEADERS_DROPPED_HEADER = "x-careerrank-headers-dropped"


@dataclass(frozen=True, slots=True)
class RejectedPart:
    """Element ``index`` of a batch message, rejected on its own; ``body`` is that element alone, so that a
    replay sends just that event."""

    index: int
    body: bytes
    error: RejectedError


class DeadLetterSink:
    def __init__(
        self, worker: str, queue: str, exchange: AbstractExchange, database: Database, metrics: PipelineMetrics
    ) -> None:
        self._worker = worker
        self._queue = queue
        self._exchange = exchange
        self._database = database
        self._metrics = metrics

    async def send(self, message: AbstractIncomingMessage, code: str, reason: str, queue: str | None = None) -> None:
        """Store and publish the message with its reason, then ack it: nothing is lost, nothing loops.

        ``queue``: the queue it failed in, where a replay puts it back (this sink's queue by default).
        """
        queue = queue or self._queue
        copy = forwarded(message, {REASON_HEADER: reason, QUEUE_HEADER: queue})
        await self._store_and_publish(copy, message.body, code, reason, queue)
        await message.ack()

    async def send_part(self, message: AbstractIncomingMessage, part: RejectedPart) -> None:
        """Dead-letter one element of a batch message on its own; the message itself is acked with the rest
        of its batch."""
        reason = part.error.reason
        headers: dict[str, str | int] = {
            REASON_HEADER: reason,
            QUEUE_HEADER: self._queue,
            BATCH_INDEX_HEADER: part.index,
        }
        copy = forwarded(message, headers, part.body)
        await self._store_and_publish(copy, part.body, part.error.code, reason, self._queue)

    async def _store_and_publish(self, copy: aio_pika.Message, body: bytes, code: str, reason: str, queue: str) -> None:
        letter_id = await self._record(queue, reason, body, copy.headers)
        await publish_one(self._exchange, copy, recorded_key(queue))
        self._metrics.dead_letters.labels(self._worker, code).inc()
        self._metrics.events.labels(self._worker, "dead_lettered").inc()
        log.warning(
            "dead-lettered", extra={"worker": self._worker, "code": code, "reason": reason, "letter": letter_id}
        )

    async def _record(self, queue: str, reason: str, body: bytes, headers: Mapping[str, Any]) -> int:
        """Store the letter; if PostgreSQL refuses it as it is (an outage aside), store it without its headers,
        so that a message that cannot be recorded whole still leaves its loop."""
        try:
            async with self._database.session() as session:
                return await session.dead_letters.record(queue, reason, body, headers)
        except TransientError:
            raise
        except Exception as exc:
            self._metrics.reduced_dead_letters.labels(self._worker).inc()
            log.warning(
                "dead letter refused as it was; recorded without its headers",
                extra={"worker": self._worker, "error": type(exc).__name__},
            )
        reduced = {HEADERS_DROPPED_HEADER: "the headers could not be stored"}
        async with self._database.session() as session:
            return await session.dead_letters.record(queue, reason, body, reduced)
