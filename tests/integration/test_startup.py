"""A worker that cannot start says why and leaves nothing open behind it."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from careerrank.errors import ModelUnavailable, VectorsMismatch
from careerrank.settings import Settings
from workers import build

pytestmark = pytest.mark.integration


async def other_connections(db: asyncpg.Connection, settle_s: float = 5.0) -> int:
    """Connections to this test's database besides ``db``, once closing ones are gone (or after ``settle_s``)."""
    deadline = time.monotonic() + settle_s
    while True:
        count = int(
            await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        if count == 0 or time.monotonic() > deadline:
            return count
        await asyncio.sleep(0.1)


async def test_an_embedder_whose_model_cannot_load_closes_its_pool(settings: Settings, db: asyncpg.Connection) -> None:
    bad = settings.model_copy(update={"model": settings.model.model_copy(update={"name": "hashing-big"})})
    service = build("embedder", bad)
    with pytest.raises(ModelUnavailable, match="hashing-<dimension>"):
        await service.start()
    assert await other_connections(db) == 0


async def test_a_matcher_that_finds_inconsistent_vectors_closes_what_it_opened(
    settings: Settings, db: asyncpg.Connection
) -> None:
    # Two open, matched items whose stored vectors disagree in dimension: the index cannot be built.
    for kind, table, dim in (("vacancy", "vacancies", 4), ("resume", "resumes", 8)):
        await db.execute(
            f"""INSERT INTO {table} (id, version, status, title, body, matched_version)
                VALUES ('x', now(), 'open', 't', 'b', now())"""
        )
        await db.execute(
            """INSERT INTO embeddings (kind, item_id, model, version, text_hash, dim, vector)
               VALUES ($1, 'x', $2, now(), '\\x00', $3, $4)""",
            kind,
            settings.model.name,
            dim,
            bytes(4 * dim),
        )
    service = build("matcher", settings)
    with pytest.raises(VectorsMismatch, match="different dimensions"):
        await service.start()
    assert await other_connections(db) == 0
