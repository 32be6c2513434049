"""RabbitMQ topology: exchange, queue and binding names, declared idempotently at start-up.

    producers ──► <prefix>.events (topic) ──vacancy.*, resume.*, batch──► <prefix>.embedder (quorum)
    producers ──► <prefix>.events (topic) ──application.*, feedback.*, scoring.batch──► <prefix>.scorer (quorum)
    embedder  ──► <prefix>.internal (direct) ──index.update──► <prefix>.matcher (quorum, single active consumer)
    any worker ─► <prefix>.dead (topic) ──recorded.#──► <prefix>.dead-letters (quorum)
    any worker ─► <worker queue>.retry.<delay>ms (TTL = delay) ──expires──► back to <worker queue>
    broker    ─► <prefix>.dead (topic) ──unrecorded.#──► <prefix>.dead-letters.unrecorded (quorum)

A worker dead-letters a message itself, with a reason, after writing it to PostgreSQL for replay; those
reach the dead-letter queue under ``recorded.<queue>``. A message that fails on its own is parked in a retry
queue, one per delay so that no message waits behind a longer one; when its time is up the broker moves it
back to its worker queue. A message that keeps coming back because its consumer dies is tried alone by the
worker (see :mod:`workers.crash_guard`); the queue's own ``delivery_limit`` is a backstop far above that.
What the broker dead-letters itself arrives under ``unrecorded.<queue>``, where every worker records it with
its reason and passes it on to the dead-letter queue (:mod:`workers.broker_dead_letters`): no dead letter is
missing from PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from aiormq.abc import FieldTable

from careerrank.errors import TopologyMismatch
from careerrank.settings import AmqpSettings
from schemas import POSTINGS, SCORING

INDEX_UPDATE_KEY = "index.update"
# Each family of events goes to the worker that consumes it (schemas.envelope names the keys).
EMBEDDER_KEYS = ("vacancy.*", "resume.*", POSTINGS.batch_key)
SCORER_KEYS = ("application.*", "feedback.*", SCORING.batch_key)


def recorded_key(queue: str) -> str:
    """Routing key of a dead letter a worker has recorded, from ``queue``."""
    return f"recorded.{queue}"


def unrecorded_key(queue: str) -> str:
    """Routing key of a message the broker dead-lettered from ``queue`` by itself."""
    return f"unrecorded.{queue}"


@dataclass(frozen=True, slots=True)
class Names:
    prefix: str
    retry_delays_ms: tuple[int, ...] = (1000, 10_000, 60_000)

    @classmethod
    def of(cls, settings: AmqpSettings) -> Names:
        return cls(settings.prefix, tuple(round(d * 1000) for d in settings.retry_delays_s))

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def internal(self) -> str:
        return f"{self.prefix}.internal"

    @property
    def dead(self) -> str:
        return f"{self.prefix}.dead"

    @property
    def embedder_queue(self) -> str:
        return f"{self.prefix}.embedder"

    @property
    def matcher_queue(self) -> str:
        return f"{self.prefix}.matcher"

    @property
    def scorer_queue(self) -> str:
        return f"{self.prefix}.scorer"

    @property
    def dead_queue(self) -> str:
        return f"{self.prefix}.dead-letters"

    @property
    def unrecorded_queue(self) -> str:
        """What the broker dead-lettered by itself, before a worker records it."""
        return f"{self.prefix}.dead-letters.unrecorded"

    @property
    def worker_queues(self) -> tuple[str, str, str]:
        return (self.embedder_queue, self.matcher_queue, self.scorer_queue)

    def retry_queues(self, worker_queue: str) -> list[str]:
        """The retry queue of each attempt, in order."""
        return [f"{worker_queue}.retry.{ms}ms" for ms in self.retry_delays_ms]

    def all_queues(self) -> list[str]:
        retries = [q for worker in self.worker_queues for q in self.retry_queues(worker)]
        return [*self.worker_queues, self.dead_queue, self.unrecorded_queue, *retries]

    def all_exchanges(self) -> list[str]:
        return [self.events, self.internal, self.dead]


@dataclass(frozen=True, slots=True)
class Topology:
    events: AbstractExchange
    internal: AbstractExchange
    dead: AbstractExchange
    embedder_queue: AbstractQueue
    matcher_queue: AbstractQueue
    scorer_queue: AbstractQueue
    dead_queue: AbstractQueue
    unrecorded_queue: AbstractQueue


async def declare_topology(channel: AbstractChannel, names: Names, delivery_limit: int) -> Topology:
    """Declare everything (safe to repeat: same names, same arguments)."""
    try:
        return await _declare(channel, names, delivery_limit)
    except aiormq.exceptions.ChannelPreconditionFailed as exc:
        raise TopologyMismatch(
            f"RabbitMQ already has {names.prefix}.* declared with other arguments ({exc}). Align the settings "
            "(e.g. CAREERRANK_AMQP__DELIVERY_LIMIT) with the running deployment; an upgrade that changes queue "
            "arguments needs the old queues drained and deleted first (deploy/README.md)."
        ) from exc


async def _declare(channel: AbstractChannel, names: Names, delivery_limit: int) -> Topology:
    events = await channel.declare_exchange(names.events, aio_pika.ExchangeType.TOPIC, durable=True)
    internal = await channel.declare_exchange(names.internal, aio_pika.ExchangeType.DIRECT, durable=True)
    dead = await channel.declare_exchange(names.dead, aio_pika.ExchangeType.TOPIC, durable=True)

    def worker_args(queue: str) -> FieldTable:
        return {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": names.dead,
            "x-dead-letter-routing-key": unrecorded_key(queue),
            "x-delivery-limit": delivery_limit,
        }

    embedder_queue = await channel.declare_queue(
        names.embedder_queue, arguments=worker_args(names.embedder_queue), durable=True
    )
    # Deployments before the scorer bound everything ("#"); that binding would hand scoring events to the
    # embedder, so it goes (unbinding what is not bound is a no-op).
    await embedder_queue.unbind(events, routing_key="#")
    for key in EMBEDDER_KEYS:
        await embedder_queue.bind(events, routing_key=key)
    scorer_queue = await channel.declare_queue(
        names.scorer_queue, arguments=worker_args(names.scorer_queue), durable=True
    )
    for key in SCORER_KEYS:
        await scorer_queue.bind(events, routing_key=key)
    # One matcher owns the index at a time; a second replica waits as a standby and rebuilds its index
    # from PostgreSQL when it takes over (it finds the lists' generation moved on).
    matcher_args = {**worker_args(names.matcher_queue), "x-single-active-consumer": True}
    matcher_queue = await channel.declare_queue(names.matcher_queue, arguments=matcher_args, durable=True)
    await matcher_queue.bind(internal, routing_key=INDEX_UPDATE_KEY)
    quorum: FieldTable = {"x-queue-type": "quorum"}
    dead_queue = await channel.declare_queue(names.dead_queue, arguments=quorum, durable=True)
    await dead_queue.bind(dead, routing_key="recorded.#")
    unrecorded_queue = await channel.declare_queue(names.unrecorded_queue, arguments=quorum, durable=True)
    await unrecorded_queue.bind(dead, routing_key="unrecorded.#")
    for worker_queue in names.worker_queues:
        for retry_queue, ms in zip(names.retry_queues(worker_queue), names.retry_delays_ms, strict=True):
            # Published to through the default exchange; expired messages go back the same way.
            retry_args: FieldTable = {
                "x-queue-type": "quorum",
                "x-message-ttl": ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": worker_queue,
            }
            await channel.declare_queue(retry_queue, arguments=retry_args, durable=True)
    return Topology(events, internal, dead, embedder_queue, matcher_queue, scorer_queue, dead_queue, unrecorded_queue)


async def delete_topology(channel: AbstractChannel, names: Names) -> None:
    """Remove every queue and exchange of ``names`` (tests clean up with this)."""
    for queue in names.all_queues():
        await channel.queue_delete(queue)
    for exchange in names.all_exchanges():
        await channel.exchange_delete(exchange)


async def queue_stats(channel: AbstractChannel, queues: list[str]) -> dict[str, tuple[int, int]]:
    """``queue -> (ready messages, consumers)``, read fresh from the broker.

    Use a plain (non-robust) channel: a robust one answers passive declarations from its cache.
    """
    stats = {}
    for name in queues:
        queue = await channel.declare_queue(name, passive=True)
        result = queue.declaration_result
        stats[name] = (int(result.message_count or 0), int(result.consumer_count or 0))
    return stats
