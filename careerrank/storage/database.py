"""PostgreSQL connections: a pool for the workers, a session per unit of work, outages translated.

A :class:`Session` is one connection with every aggregate's queries bound to it (``session.items``,
``session.lists``, ...); what the workers' batch logic talks to, and what unit tests replace with a fake.
Errors that mean PostgreSQL is unreachable (connection refused or lost, shutting down, starting up) leave a
session as :class:`~careerrank.errors.ServiceUnavailable`, so callers wait them out; any other database error
(a constraint, a bug) passes through unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from typing import Any

import asyncpg
from asyncpg.transaction import Transaction

from careerrank.backoff import until_available
from careerrank.errors import StorageRefused, unavailable_on
from careerrank.settings import PostgresSettings
from careerrank.storage.api_keys import ApiKeys
from careerrank.storage.applications import Applications
from careerrank.storage.dead_letters import DeadLetters
from careerrank.storage.delivery_trials import DeliveryTrials
from careerrank.storage.embeddings import Embeddings
from careerrank.storage.event_log import EventLog
from careerrank.storage.feedback import Feedback
from careerrank.storage.items import Items
from careerrank.storage.lists import Lists
from careerrank.storage.match_views import MatchViews
from careerrank.storage.model_state import ModelState
from careerrank.storage.ranked_lists import RankedLists
from careerrank.storage.scoring_models import ScoringModels

# OSError covers refused and reset connections and timeouts (TimeoutError is one).
OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)


class Session:
    """One connection and the queries of every aggregate on it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.connection = conn
        self.items = Items(conn)
        self.embeddings = Embeddings(conn)
        self.events = EventLog(conn)
        self.lists = Lists(conn)
        self.models = ModelState(conn)
        self.dead_letters = DeadLetters(conn)
        self.trials = DeliveryTrials(conn)
        self.feedback = Feedback(conn)
        self.applications = Applications(conn)
        self.scoring_models = ScoringModels(conn)
        self.ranked_lists = RankedLists(conn)
        self.api_keys = ApiKeys(conn)
        self.views = MatchViews(conn)

    def transaction(self, **options: Any) -> Transaction:
        """A transaction on this session's connection (``isolation``, ``readonly`` as asyncpg takes them)."""
        return self.connection.transaction(**options)


class Database:
    """The pool of a worker process; sessions borrow its connections."""

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self._pool = pool
        # Turns at the pool's connections, first come first served. asyncpg's own queue lets a newcomer take the
        # connection a woken waiter was about to take, and the waiter queues again at the back: under load the
        # oldest sessions starve (a long latency tail in the HTTP API).
        self._turns = asyncio.Semaphore(size)

    @classmethod
    async def connect(cls, settings: PostgresSettings, timeout_s: float = 120.0, *, reset: bool = True) -> Database:
        """Open the pool, waiting up to ``timeout_s`` for PostgreSQL to accept connections.

        ``reset=False`` saves a round trip per session for a process that never changes a connection's session
        state (no ``SET``, ``LISTEN``, advisory locks or cursors: the HTTP API): a connection goes back to the pool
        without asyncpg's reset query (an open transaction is still rolled back)."""

        async def attempt() -> Database:
            with outages_as_unavailable():
                pool = await asyncpg.create_pool(
                    settings.dsn.get_secret_value(),
                    min_size=settings.pool_min,
                    max_size=settings.pool_max,
                    command_timeout=60,
                    reset=None if reset else _keep_session_state,
                )
            return cls(pool, settings.pool_max)

        return await until_available(attempt, "postgres unavailable, retrying", timeout_s=timeout_s)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """A pooled connection for one unit of work, without a transaction of its own."""
        async with self._turns:
            with outages_as_unavailable(), refusals_as_rejected():
                async with self._pool.acquire() as conn:
                    yield Session(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """A pooled connection in a transaction: committed when the block ends, rolled back if it raises."""
        async with self.session() as session, session.transaction():
            yield session

    async def close(self) -> None:
        await self._pool.close()


@asynccontextmanager
async def connected(dsn: str) -> AsyncIterator[Session]:
    """A session on a connection of its own (commands, jobs and tests), closed when the block ends."""
    with outages_as_unavailable():
        conn = await asyncpg.connect(dsn)
    try:
        with outages_as_unavailable():
            yield Session(conn)
    finally:
        await conn.close()


async def _keep_session_state(conn: asyncpg.Connection) -> None:
    """A pool's reset that sends nothing (asyncpg has rolled back any open transaction before it)."""


@contextmanager
def refusals_as_rejected() -> Iterator[None]:
    """Translate PostgreSQL's refusal of a value into :class:`~careerrank.errors.StorageRefused`."""
    try:
        yield
    except asyncpg.DataError as exc:
        raise StorageRefused(type(exc).__name__) from exc


def outages_as_unavailable() -> AbstractContextManager[None]:
    """Translate a PostgreSQL outage raised in the block into :class:`~careerrank.errors.ServiceUnavailable`."""
    return unavailable_on(OUTAGES, "postgres")
