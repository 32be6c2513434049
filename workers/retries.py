"""Delayed, bounded retries of a message that failed on its own.

The message is republished, with its attempt number in a header, to the retry queue of that attempt
(see :mod:`careerrank.messaging.topology`): the broker holds it for the attempt's delay and then returns it to
the worker queue. After the last delay the caller dead-letters it. Nothing is held in memory meanwhile,
so a worker restart loses no retry.
"""

from __future__ import annotations

import logging

from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from careerrank.messaging import Names, forwarded, publish_one
from careerrank.observability import PipelineMetrics

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-careerrank-attempt"
ERROR_HEADER = "x-careerrank-last-error"


def attempt_of(message: AbstractIncomingMessage) -> int:
    """Retries this message has had so far (0 for a first delivery)."""
    value = (message.headers or {}).get(ATTEMPT_HEADER)
    return value if isinstance(value, int) and value >= 0 else 0


class DelayedRetry:
    def __init__(
        self, worker: str, worker_queue: str, names: Names, default_exchange: AbstractExchange, metrics: PipelineMetrics
    ) -> None:
        self._worker = worker
        self._queues = names.retry_queues(worker_queue)
        self._delays_s = [ms / 1000 for ms in names.retry_delays_ms]
        self._exchange = default_exchange
        self._metrics = metrics

    @property
    def max_attempts(self) -> int:
        """Deliveries in all: the first one and one per retry delay."""
        return len(self._queues) + 1

    async def schedule(self, message: AbstractIncomingMessage, error: str) -> bool:
        """Park ``message`` for its next attempt and ack it; ``False`` when its retries are used up."""
        if not await self.park(message, error):
            return False
        await message.ack()
        return True

    async def park(self, message: AbstractIncomingMessage, error: str, body: bytes | None = None) -> bool:
        """Publish the message (or ``body``, one element of it, in its place) for its next attempt, without
        acking it; ``False`` when its retries are used up."""
        attempt = attempt_of(message)
        if attempt >= len(self._queues):
            return False
        copy = forwarded(message, {ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: error}, body)
        await publish_one(self._exchange, copy, self._queues[attempt])
        self._metrics.retries.labels(self._worker).inc()
        log.warning(
            "message failed; retrying later",
            extra={"worker": self._worker, "error": error, "attempt": attempt + 1, "delay_s": self._delays_s[attempt]},
        )
        return True
