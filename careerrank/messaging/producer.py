"""What a producer does: events as persistent messages, published with confirms in a window.

The job board publishes this way; so do ``careerrank publish``, the demo and the benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import aio_pika
from tqdm import tqdm

from careerrank.messaging.connections import connect_broker
from careerrank.messaging.publishing import persistent_message, publish_windowed
from careerrank.settings import AmqpSettings
from schemas import Closure, Upsert
from schemas.envelope import BATCH_ROUTING_KEY


def event_message(event: Upsert | Closure) -> tuple[str, aio_pika.Message]:
    """``(routing key, message)`` of one event: the key is its type."""
    return event.type, persistent_message(event.model_dump_json().encode(), message_id=event.event_id)


def batch_message(events: Sequence[Upsert | Closure]) -> tuple[str, aio_pika.Message]:
    """Several events in one message (a JSON array): one publish, confirm and ack for all of them."""
    body = b"[" + b",".join(e.model_dump_json().encode() for e in events) + b"]"
    return BATCH_ROUTING_KEY, persistent_message(body, message_id=f"batch:{events[0].event_id}:{len(events)}")


async def publish_events(
    settings: AmqpSettings,
    events: Iterable[Upsert | Closure],
    progress: tqdm | None = None,
    per_message: int = 1,
) -> int:
    """Publish events with confirms in a window; return the number of events.

    ``per_message`` > 1 packs that many events into each message. The topology is declared first so
    nothing is unroutable.
    """
    broker = await connect_broker(settings, prefetch=1)
    sizes: list[int] = []

    def messages() -> Iterator[tuple[str, aio_pika.Message]]:
        if per_message <= 1:
            for event in events:
                sizes.append(1)
                yield event_message(event)
            return
        for chunk in _chunked(events, per_message):
            sizes.append(len(chunk))
            yield batch_message(chunk)

    confirmed = 0

    def on_confirmed() -> None:
        # Confirms may come out of order; the bar only needs the running total, message by message.
        nonlocal confirmed
        if progress is not None:
            progress.update(sizes[confirmed])
        confirmed += 1

    try:
        await publish_windowed(broker.topology.events, messages(), settings.publish_window, on_confirmed=on_confirmed)
    finally:
        await broker.connection.close()
    return sum(sizes)


def _chunked(events: Iterable[Upsert | Closure], size: int) -> Iterator[list[Upsert | Closure]]:
    chunk: list[Upsert | Closure] = []
    for event in events:
        chunk.append(event)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
