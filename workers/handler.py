"""What a worker's batch handler is: decode one message, then prepare and commit a batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from aio_pika.abc import AbstractIncomingMessage

from workers.dead_letters import RejectedPart

D = TypeVar("D")
P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Decoded(Generic[D]):
    """What a handler made of one message, and the elements of it rejected on their own."""

    value: D
    rejected: tuple[RejectedPart, ...] = ()


class BatchHandler(Protocol[D, P]):
    def decode(self, message: AbstractIncomingMessage) -> Decoded[D]:
        """Parse and validate one message; raise :class:`~careerrank.errors.RejectedError` if it can never be
        processed. Pure: no I/O, so nothing here is retried."""
        ...

    async def prepare(self, batch: list[D]) -> P: ...

    async def commit(self, prepared: P) -> None:
        """Make the batch's effects durable (and publish onwards); the consumer acks the messages after."""
        ...
