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
from schemas import POSTINGS, SCORING, Closure, ScoringEvent, Upsert

AnyEvent = Upsert | Closure | ScoringEvent


def event_message(event: AnyEvent) -> tuple[str, aio_pika.Message]:
    """``(routing key, message)`` of one event: the key is its type."""
    return event.type, persistent_message(event.model_dump_json().encode(), message_id=event.event_id)


def batch_key(event: AnyEvent) -> str:
    """The batch routing key of the event's family (postings go to the embedder, scoring to the scorer)."""
    return SCORING.batch_key if event.type in SCORING.types else POSTINGS.batch_key


def batch_message(events: Sequence[AnyEvent]) -> tuple[str, aio_pika.Message]:
    """Several events of one family in one message (a JSON array): one publish, confirm and ack for all."""
    key = batch_key(events[0])
    if any(batch_key(e) != key for e in events):
        raise ValueError("a batch message holds events of one family: postings, or applications and feedback")
    body = b"[" + b",".join(e.model_dump_json().encode() for e in events) + b"]"
    return key, persistent_message(body, message_id=f"batch:{events[0].event_id}:{len(events)}")


async def publish_events(
    settings: AmqpSettings,
    events: Iterable[AnyEvent],
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


def _chunked(events: Iterable[AnyEvent], size: int) -> Iterator[list[AnyEvent]]:
    """Chunks of up to ``size`` events, a new one wherever the family changes."""
    chunk: list[AnyEvent] = []
    for event in events:
        if chunk and batch_key(chunk[0]) != batch_key(event):
            yield chunk
            chunk = []
        chunk.append(event)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
