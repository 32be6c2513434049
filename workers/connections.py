"""Connections to PostgreSQL and RabbitMQ, with bounded backoff while a service is still coming up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aio_pika
import asyncpg
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection

from careerrank.settings import Settings
from careerrank.storage.model_state import ModelMismatch
from careerrank.topology import Names, Topology, declare

log = logging.getLogger(__name__)

T = TypeVar("T")

# Errors after which waiting and trying again is the right move.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    aio_pika.exceptions.AMQPConnectionError,
    aio_pika.exceptions.ChannelInvalidStateError,
    # Not an outage, but waited out the same way: the events are fine and wait for an embedder of the new model.
    ModelMismatch,
)


@dataclass(frozen=True, slots=True)
class Broker:
    connection: AbstractRobustConnection
    channel: AbstractRobustChannel
    topology: Topology
    names: Names


async def with_backoff(what: str, attempt: Callable[[], Awaitable[T]], timeout_s: float = 120.0) -> T:
    """Await ``attempt()`` until it succeeds, sleeping 0.5 s doubling to 10 s between tries."""
    delay = 0.5
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            return await attempt()
        except TRANSIENT_ERRORS as exc:
            if asyncio.get_running_loop().time() + delay > deadline:
                raise
            log.warning(f"{what} unavailable, retrying", extra={"error": type(exc).__name__, "delay_s": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def connect_postgres(settings: Settings) -> asyncpg.Pool:
    async def attempt() -> asyncpg.Pool:
        return await asyncpg.create_pool(
            settings.postgres.dsn.get_secret_value(),
            min_size=settings.postgres.pool_min,
            max_size=settings.postgres.pool_max,
            command_timeout=60,
        )

    pool: asyncpg.Pool = await with_backoff("postgres", attempt)
    return pool


async def connect_broker(settings: Settings, prefetch: int) -> Broker:
    async def attempt() -> AbstractRobustConnection:
        return await aio_pika.connect_robust(settings.amqp.url.get_secret_value(), reconnect_interval=2.0)

    connection: AbstractRobustConnection = await with_backoff("rabbitmq", attempt)
    connection.close_callbacks.add(_on_broker_lost)
    connection.reconnect_callbacks.add(_on_broker_back)
    channel: AbstractRobustChannel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=prefetch)
    names = Names.of(settings.amqp)
    topology = await declare(channel, names, settings.amqp.delivery_limit)
    return Broker(connection, channel, topology, names)


def _on_broker_lost(_: object, exc: BaseException | None = None) -> None:
    if exc is not None and not isinstance(exc, asyncio.CancelledError):  # those two: closed by us
        log.warning("rabbitmq connection lost; reconnecting every 2 s", extra={"error": type(exc).__name__})


def _on_broker_back(_: object) -> None:
    log.warning("rabbitmq connection restored; consumers and topology re-declared")
