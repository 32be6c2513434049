"""List writes go through COPY's text format: ids that need escaping must come back as they were written."""

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
