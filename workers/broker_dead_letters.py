"""Messages the broker dead-lettered by itself: recorded in PostgreSQL with a reason, then passed on.

The worker queues' ``x-delivery-limit`` is a backstop (see :mod:`careerrank.messaging.topology`): should it
ever fire, the message arrives here under ``unrecorded.<queue>`` with the broker's ``x-death`` header. Every
worker runs this small consumer, so such a message is written to ``dead_letters`` (replayable to the queue it
came from), counted and logged, and then moved to the dead-letter queue like any other dead letter.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from careerrank.backoff import until_available
from careerrank.errors import suppressed
from careerrank.messaging import Names
from workers.dead_letters import DeadLetterSink

log = logging.getLogger(__name__)

# The reasons RabbitMQ gives in x-death; anything else is shown as "other" (a header is never echoed raw).
_BROKER_REASONS = {"delivery_limit", "rejected", "expired", "maxlen"}


def broker_reason(headers: dict[str, Any] | None, names: Names) -> tuple[str, str, str]:
    """``(code, reason, queue)`` of a message the broker dead-lettered, from its ``x-death`` header."""
    deaths = (headers or {}).get("x-death")
    death = deaths[0] if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict) else {}
    queue = death.get("queue")
    queue = queue if queue in names.worker_queues else names.embedder_queue
    why = death.get("reason")
    why = why if why in _BROKER_REASONS else "other"
    return f"broker_{why}", f"dead-lettered by the broker ({why}) from {queue}", queue


class BrokerDeadLetters:
    """Consumes ``<prefix>.dead-letters.unrecorded`` into the dead-letter table and queue."""

    def __init__(self, name: str, queue: AbstractQueue, names: Names, sink: DeadLetterSink) -> None:
        self._name = name
        self._queue = queue
        self._names = names
        self._sink = sink
        self._tag: str | None = None

    async def start(self) -> None:
        self._tag = await self._queue.consume(self._record)

    async def stop(self) -> None:
        if self._tag is not None:
            await suppressed(self._queue.cancel(self._tag), "consumer cancel (the channel is gone)")
            self._tag = None

    async def _record(self, message: AbstractIncomingMessage) -> None:
        code, reason, queue = broker_reason(message.headers, self._names)
        try:
            send = partial(self._sink.send, message, code, reason, queue)
            await until_available(
                send, "recording a dead letter hit an unavailable service", extra={"worker": self._name}
            )
        except Exception:
            log.exception("recording a broker dead letter failed", extra={"worker": self._name})
            if not message.processed:
                await suppressed(message.nack(requeue=True), "nack for redelivery")
