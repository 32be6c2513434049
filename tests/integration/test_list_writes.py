"""List writes go through COPY's binary format: any id, and every float32 score, comes back as it was written."""

from __future__ import annotations

import asyncpg
import numpy as np
import pytest

from careerrank.settings import Settings
from careerrank.storage import Database

pytestmark = pytest.mark.integration

HOSTILE = [
    "plain",
    'quote"d',
    "back\\slash",
    "tab\tbed",
    "new\nline",
    "cr\rhere",
    "{brace}",
    "a,b",
    "NULL",
    "",
    " pad ",
    "\\N",
    "é✓",
]


async def test_replace_round_trips_ids_and_scores(settings: Settings, db: asyncpg.Connection) -> None:
    scores = np.float32([0.9, 0.7000001, 0.5, 1e-8, -0.25, 0.33333334, 0.1, 0.1, 0.0, -1.0, 0.6, 0.2, 0.15])
    order = np.argsort(-scores, kind="stable")
    ranked = [(HOSTILE[i], float(scores[i])) for i in order]
    lists = {source: ranked for source in HOSTILE}
    lists["no-list-any-more"] = []
    database = await Database.connect(settings.postgres)
    try:
        async with database.session() as session, session.transaction():
            written = await session.lists.replace("vacancy", lists, "m/cosine")
        async with database.session() as session:
            back = await session.lists.all("vacancy")
            paged = await session.lists.all("vacancy", page=4)
    finally:
        await database.close()
    assert written == len(HOSTILE) * len(HOSTILE)
    assert back == paged == {source: ranked for source in HOSTILE}
    # Scores come back as the same float32 values, bit for bit.
    stored = await db.fetchval("SELECT scores FROM match_lists WHERE source_id = 'plain'")
    assert np.float32(stored).tobytes() == np.float32([s for _, s in ranked]).tobytes()


async def test_reserves_round_trip_and_count_only_while_current(settings: Settings, db: asyncpg.Connection) -> None:
    ranked = [(target, 1.0 - i / 16) for i, target in enumerate(HOSTILE)]
    database = await Database.connect(settings.postgres)
    try:
        async with database.session() as session:
            await session.lists.clear_reserves()
            await session.lists.copy_reserves("resume", {source: ranked for source in HOSTILE})
            assert not await session.lists.reserves_current(), "written, but not yet for the current lists"
            async with session.transaction():
                await session.lists.bump_generation()
                await session.lists.mark_reserves_current()
            assert await session.lists.reserves_current()
            back = await session.lists.all("resume", with_reserve=True)
            async with session.transaction():
                await session.lists.replace("resume", {"plain": ranked[:10]}, "m/cosine")
                await session.lists.bump_generation()
            assert not await session.lists.reserves_current(), "a list written since: out of date"
    finally:
        await database.close()
    assert back == {source: ranked for source in HOSTILE}
