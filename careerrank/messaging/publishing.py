"""Publishing with publisher confirms kept in flight in a window, not awaited one by one; message headers.

A publish that fails because the broker went away raises :class:`~careerrank.errors.ServiceUnavailable`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from careerrank.messaging.connections import outages_as_unavailable

PUBLISHED_AT_HEADER = "x-published-at"


def persistent_message(
    body: bytes, headers: dict[str, Any] | None = None, message_id: str | None = None
) -> aio_pika.Message:
    """A persistent JSON message stamped with its publish time (for event-to-match latency)."""
    return aio_pika.Message(
        body,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id,
        headers={PUBLISHED_AT_HEADER: time.time(), **(headers or {})},
    )


async def publish_windowed(
    exchange: AbstractExchange,
    messages: Iterable[tuple[str, aio_pika.Message]] | AsyncIterable[tuple[str, aio_pika.Message]],
    window: int,
    on_confirmed: Callable[[], None] | None = None,
) -> int:
    """Publish ``(routing_key, message)`` pairs with at most ``window`` unconfirmed; return the count.

    Every message is confirmed by the broker when this returns; the first failure is raised (an outage as
    :class:`~careerrank.errors.ServiceUnavailable`).
    """
    with outages_as_unavailable():
        return await _publish_windowed(exchange, messages, window, on_confirmed)


async def _publish_windowed(
    exchange: AbstractExchange,
    messages: Iterable[tuple[str, aio_pika.Message]] | AsyncIterable[tuple[str, aio_pika.Message]],
    window: int,
    on_confirmed: Callable[[], None] | None,
) -> int:
    slots = asyncio.Semaphore(window)
    pending: set[asyncio.Task[Any]] = set()
    failure: list[BaseException] = []
    count = 0

    def done(task: asyncio.Task[Any]) -> None:
        pending.discard(task)
        slots.release()
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            failure.append(exc)
        elif on_confirmed is not None:
            on_confirmed()

    async def send(routing_key: str, message: aio_pika.Message) -> None:
        nonlocal count
        await slots.acquire()
        if failure:
            slots.release()
            raise failure[0]
        task = asyncio.ensure_future(exchange.publish(message, routing_key=routing_key))
        pending.add(task)
        task.add_done_callback(done)
        count += 1

    try:
        if isinstance(messages, AsyncIterable):
            async for routing_key, message in messages:
                await send(routing_key, message)
        else:
            for routing_key, message in messages:
                await send(routing_key, message)
        if pending:
            await asyncio.wait(set(pending))
    finally:
        for task in pending:
            task.cancel()
    if failure:
        raise failure[0]
    return count


def forwarded(
    message: AbstractIncomingMessage, headers: dict[str, str | int], body: bytes | None = None
) -> aio_pika.Message:
    """A persistent copy of a received message (or of ``body`` in its place), its short simple headers kept
    and ``headers`` added."""
    kept = {k: v for k, v in (message.headers or {}).items() if _simple_header(k, v)}
    return aio_pika.Message(
        message.body if body is None else body,
        headers={**kept, **headers},
        content_type=_short(message.content_type),
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=_short(message.message_id),
    )


def _short(value: str | None) -> str | None:
    """A property that fits an AMQP short string again (an undecodable byte came back as four characters)."""
    return value if value is None or len(value.encode("utf-8")) <= 255 else None


# A copy keeps what fits one frame with room to spare, whatever the producer sent: short keys (AMQP's
# limit is 128 bytes) and short scalar values.
_MAX_KEPT_KEY_BYTES = 128
_MAX_KEPT_VALUE_CHARS = 1024


def _simple_header(key: str, value: object) -> bool:
    if len(key.encode("utf-8", "backslashreplace")) > _MAX_KEPT_KEY_BYTES:
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and len(value) <= _MAX_KEPT_VALUE_CHARS)


async def publish_one(exchange: AbstractExchange, message: aio_pika.Message, routing_key: str) -> None:
    """Publish one message and wait for its confirm."""
    with outages_as_unavailable():
        await exchange.publish(message, routing_key=routing_key)


def published_at(message: AbstractIncomingMessage) -> float | None:
    """When the original event was published (epoch seconds), if the message says."""
    value = (message.headers or {}).get(PUBLISHED_AT_HEADER)
    return float(value) if isinstance(value, int | float) else None
