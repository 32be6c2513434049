"""What a worker's batch handler is: decode one message, then prepare and commit a batch; and the decoding of
producers' event messages that the embedder and the scorer share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from aio_pika.abc import AbstractIncomingMessage

from careerrank.errors import InvalidMessage
from schemas import InvalidEvent, parse_events
from schemas.envelope import Family
from workers.dead_letters import RejectedPart

D = TypeVar("D")
P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Element(Generic[D]):
    """One valid event of a batch message, as a value of its own: ``index`` in the message, ``body`` that event
    alone as JSON (what a retry or a dead letter of it carries)."""

    index: int
    body: bytes
    value: D


@dataclass(frozen=True, slots=True)
class Decoded(Generic[D]):
    """What a handler made of one message, and the elements of it rejected on their own.

    ``elements``: for a message of several events, how to split ``value`` into one value per event, so that
    one that fails where validation could not see it (in the database, say) fails alone.
    """

    value: D
    rejected: tuple[RejectedPart, ...] = ()
    elements: Callable[[], list[Element[D]]] | None = None


class BatchHandler(Protocol[D, P]):
    def decode(self, message: AbstractIncomingMessage) -> Decoded[D]:
        """Parse and validate one message; raise :class:`~careerrank.errors.RejectedError` if it can never be
        processed. Pure: no I/O, so nothing here is retried."""
        ...

    async def prepare(self, batch: list[D]) -> P: ...

    async def commit(self, prepared: P) -> None:
        """Make the batch's effects durable (and publish onwards); the consumer acks the messages after."""
        ...


def decode_events(
    message: AbstractIncomingMessage, events_exchange: str, max_clock_skew_s: float, family: Family[Any]
) -> tuple[list[tuple[int, Any]], tuple[RejectedPart, ...]]:
    """The valid events of a producer's message, each with its index in it, and its invalid elements, each
    to be dead-lettered alone.

    Raises :class:`InvalidMessage` when the message as a whole is not one event or a batch of them.
    """
    # The routing key is checked where the producer chose it; a retried or replayed message comes back
    # through the default exchange under the queue's name, and was admitted (or is replayed) by its body.
    from_producer = message.exchange == events_exchange
    not_after = datetime.now(UTC) + timedelta(seconds=max_clock_skew_s)
    try:
        parsed = parse_events(
            message.body,
            routing_key=message.routing_key if from_producer else None,
            not_after=not_after,
            family=family,
        )
    except InvalidEvent as exc:
        raise InvalidMessage(exc.code, exc.reason) from exc
    events: list[tuple[int, Any]] = []
    rejected: list[RejectedPart] = []
    for index, event in enumerate(parsed):
        # One bad event of a batch message is dead-lettered alone; the message is acked with the batch.
        if isinstance(event, InvalidEvent):
            body = event.body if event.body is not None else message.body
            rejected.append(RejectedPart(index, body, InvalidMessage(event.code, event.reason)))
        else:
            events.append((index, event))
    return events, tuple(rejected)


def elements_of(events: list[tuple[int, Any]], wrap: Callable[[list[Any]], D]) -> Callable[[], list[Element[D]]] | None:
    """How to split the value made of ``events`` (by ``wrap``) into one per event; None for a single one."""
    if len(events) < 2:
        return None
    return lambda: [Element(index, event.model_dump_json().encode(), wrap([event])) for index, event in events]
