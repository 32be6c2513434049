"""Dead-lettering with a reason: to the dead-letter queue (for operators) and to PostgreSQL (for replay)."""

from __future__ import annotations

import logging

import asyncpg
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from careerrank.metrics import PipelineMetrics
from careerrank.publishing import forwarded
from careerrank.storage import dead_letters

log = logging.getLogger(__name__)

REASON_HEADER = "x-careerrank-reason"
QUEUE_HEADER = "x-careerrank-queue"


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
        async with self._pool.acquire() as conn:
            letter_id = await dead_letters.record(conn, self._queue, reason, message.body, copy.headers)
        await self._exchange.publish(copy, routing_key=self._queue)
        await message.ack()
        self._metrics.dead_letters.labels(self._worker, code).inc()
        self._metrics.events.labels(self._worker, "dead_lettered").inc()
        log.warning(
            "dead-lettered", extra={"worker": self._worker, "code": code, "reason": reason, "letter": letter_id}
        )
