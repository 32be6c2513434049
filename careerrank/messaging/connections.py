"""The RabbitMQ connection of a process: robust (it reconnects and re-declares by itself), with confirms.

Errors that mean the broker is unreachable are translated into :class:`~careerrank.errors.ServiceUnavailable`
by :func:`outages_as_unavailable`, wherever a message is published.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection

from careerrank.backoff import until_available
from careerrank.errors import unavailable_on
from careerrank.messaging.frame_decoding import tolerate_malformed_strings
from careerrank.messaging.topology import Names, Topology, declare_topology
from careerrank.settings import AmqpSettings

log = logging.getLogger(__name__)

# OSError covers refused and reset connections and timeouts (TimeoutError is one).
OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    aio_pika.exceptions.AMQPConnectionError,
    aio_pika.exceptions.ChannelInvalidStateError,
)


def outages_as_unavailable() -> AbstractContextManager[None]:
    """Translate a RabbitMQ outage raised in the block into :class:`~careerrank.errors.ServiceUnavailable`."""
    return unavailable_on(OUTAGES, "rabbitmq")


@dataclass(frozen=True, slots=True)
class Broker:
    connection: AbstractRobustConnection
    channel: AbstractRobustChannel
    topology: Topology
    names: Names

    async def close(self) -> None:
        await self.channel.close()
        await self.connection.close()


async def connect_broker(settings: AmqpSettings, prefetch: int, timeout_s: float = 120.0) -> Broker:
    """Connect (waiting up to ``timeout_s`` for the broker), open a confirming channel, declare the topology.

    A message with header keys or properties that are not UTF-8 is delivered like any other (see
    :mod:`careerrank.messaging.frame_decoding`), instead of closing the connection each time it arrives.
    """
    tolerate_malformed_strings()

    async def attempt() -> AbstractRobustConnection:
        with outages_as_unavailable():
            return await aio_pika.connect_robust(settings.url.get_secret_value(), reconnect_interval=2.0)

    connection = await until_available(attempt, "rabbitmq unavailable, retrying", timeout_s=timeout_s)
    try:
        connection.close_callbacks.add(_on_broker_lost)
        connection.reconnect_callbacks.add(_on_broker_back)
        with outages_as_unavailable():
            channel: AbstractRobustChannel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=prefetch)
            names = Names.of(settings)
            topology = await declare_topology(channel, names, settings.delivery_limit)
    except BaseException:
        await connection.close()
        raise
    return Broker(connection, channel, topology, names)


def _on_broker_lost(_: object, exc: BaseException | None = None) -> None:
    if exc is not None and not isinstance(exc, asyncio.CancelledError):  # those two: closed by us
        log.warning("rabbitmq connection lost; reconnecting every 2 s", extra={"error": type(exc).__name__})


def _on_broker_back(_: object) -> None:
    log.warning("rabbitmq connection restored; consumers and topology re-declared")
