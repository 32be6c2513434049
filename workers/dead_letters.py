"""Dead-lettering with a reason: to the dead-letter queue (for operators) and to PostgreSQL (for replay)."""

from __future__ import annotations

import json
import logging

import aio_pika
import asyncpg
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from careerrank.metrics import PipelineMetrics
from careerrank.publishing import forwarded
from careerrank.storage import dead_letters

log = logging.getLogger(__name__)

REASON_HEADER = "x-careerrank-reason"
QUEUE_HEADER = "x-careerrank-queue"
BATCH_INDEX_HEADER = "x-careerrank-batch-index"


class DeadLetterSink:
    def __init__(
        self, worker: str, queue: str, exchange: AbstractExchange, pool: asyncpg.Pool, metrics: PipelineMetrics
    ) -> None:
        self._worker = worker
        self._queue = queue
        self._exchange = exchange
        self._pool = pool
        self._metrics = metrics

    async def send(self, message: AbstractIncomingMessage, code: str, reason: str) -> None:
        """Store and publish the message with its reason, then ack it: nothing is lost, nothing loops."""
        copy = forwarded(message, {REASON_HEADER: reason, QUEUE_HEADER: self._queue})
        await self._store_and_publish(copy, message.body, code, reason)
        await message.ack()

    async def send_part(self, message: AbstractIncomingMessage, index: int, code: str, reason: str) -> None:
        """Dead-letter element ``index`` of a batch message on its own (its body alone, so a replay sends just
        that event); the message itself is acked with the rest of its batch."""
        body = json.dumps(json.loads(message.body)[index], ensure_ascii=False).encode()
        copy = forwarded(message, {REASON_HEADER: reason, QUEUE_HEADER: self._queue, BATCH_INDEX_HEADER: index}, body)
        await self._store_and_publish(copy, body, code, reason)

    async def _store_and_publish(self, copy: aio_pika.Message, body: bytes, code: str, reason: str) -> None:
        async with self._pool.acquire() as conn:
            letter_id = await dead_letters.record(conn, self._queue, reason, body, copy.headers)
        await self._exchange.publish(copy, routing_key=self._queue)
        self._metrics.dead_letters.labels(self._worker, code).inc()
        self._metrics.events.labels(self._worker, "dead_lettered").inc()
        log.warning(
            "dead-lettered", extra={"worker": self._worker, "code": code, "reason": reason, "letter": letter_id}
        )
