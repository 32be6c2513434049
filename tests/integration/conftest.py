"""Fixtures for integration tests: a fresh database and a fresh broker namespace per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest

from careerrank.messaging import Names, delete_topology
from careerrank.settings import Settings
from careerrank.storage import apply_migrations, drop_database, ensure_database

pytestmark = pytest.mark.integration


def make_settings(tag: str, model: str = "hashing-64") -> Settings:
    return Settings.model_validate(
        {
            "amqp": {"prefix": f"crtest-{tag}", "retry_delays_s": [0.2, 0.5]},
            "postgres": {"dsn": f"postgresql://postgres@127.0.0.1:5432/careerrank_test_{tag}"},
            "model": {"name": model},
            "embedder": {"max_batch": 32, "max_wait_ms": 20},
            # The matcher's exactness is checked on top-10 lists (the ranked lists' test deepens them).
            "matcher": {"max_batch": 256, "max_wait_ms": 20, "top_k": 10},
            "worker": {"drain_timeout_s": 20},
        }
    )


@pytest.fixture
async def settings() -> AsyncIterator[Settings]:
    tag = uuid.uuid4().hex[:10]
    s = make_settings(tag)
    dsn = s.postgres.dsn.get_secret_value()
    await ensure_database(dsn)
    apply_migrations(dsn)
    try:
        yield s
    finally:
        connection = await aio_pika.connect(s.amqp.url.get_secret_value())
        async with connection:
            await delete_topology(await connection.channel(), Names.of(s.amqp))
        await drop_database(dsn)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value())
    try:
        yield conn
    finally:
        await conn.close()
