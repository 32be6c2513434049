"""The main path against the real RabbitMQ and PostgreSQL: events in, exact top-10 lists out."""

from __future__ import annotations

import asyncpg
import numpy as np
import pytest

from careerrank.settings import Settings
from tests.integration.pipeline import (
    brute_force_check,
    closure,
    encoded,
    posting,
    publish,
    running_workers,
    settle,
    wait_matched,
)

pytestmark = pytest.mark.integration

MODEL = "hashing-64"


async def test_end_to_end_lists_equal_brute_force(settings: Settings, db: asyncpg.Connection) -> None:
    events = [posting("vacancy", i) for i in range(60)] + [posting("resume", i) for i in range(45)]
    async with running_workers(settings):
        assert await publish(settings, events) == 105
        await wait_matched(db, {"vacancy": 60, "resume": 45})
        await settle(db, settings)
    assert await brute_force_check(db, MODEL) == 105
    assert await db.fetchval("SELECT count(*) FROM matches") == 105 * 10


async def test_items_arriving_one_kind_first_still_fill_both_directions(
    settings: Settings, db: asyncpg.Connection
) -> None:
    # Resumes first: their lists start empty and must fill as vacancies arrive (insertion path).
    async with running_workers(settings):
        await publish(settings, [posting("resume", i) for i in range(30)])
        await wait_matched(db, {"vacancy": 0, "resume": 30})
        for batch in range(4):
            await publish(settings, [posting("vacancy", batch * 5 + i) for i in range(5)])
        await wait_matched(db, {"vacancy": 20, "resume": 30})
        await settle(db, settings)
    assert await brute_force_check(db, MODEL) == 50


async def test_duplicate_delivery_leaves_one_set_of_results(settings: Settings, db: asyncpg.Connection) -> None:
    events = [posting("vacancy", i) for i in range(20)] + [posting("resume", i) for i in range(20)]
    async with running_workers(settings):
        await publish(settings, events)
        await publish(settings, events)  # the same events (same event ids) delivered again
        await publish(settings, events[:5] * 3)
        await wait_matched(db, {"vacancy": 20, "resume": 20})
        await settle(db, settings)
    assert await db.fetchval("SELECT count(*) FROM processed_events") == 40
    assert await db.fetchval("SELECT count(*) FROM matches") == 40 * 10
    assert await db.fetchval("SELECT count(*) FROM embeddings") == 40
    assert await brute_force_check(db, MODEL) == 40


async def test_update_reembeds_and_rematches(settings: Settings, db: asyncpg.Connection) -> None:
    async with running_workers(settings):
        await publish(settings, [posting("vacancy", i) for i in range(25)] + [posting("resume", i) for i in range(25)])
        await wait_matched(db, {"vacancy": 25, "resume": 25})
        before = await db.fetchval("SELECT vector FROM embeddings WHERE item_id = 'r3'")
        updated = posting("resume", 3, seed=7, version=5, text="совершенно другой текст: повар кондитер выпечка")
        await publish(settings, [updated])
        await settle(db, settings)
        await wait_matched(db, {"vacancy": 25, "resume": 25})
    after = await db.fetchval("SELECT vector FROM embeddings WHERE item_id = 'r3'")
    assert after != before
    # The new vector is the new text's own, not merely a different one.
    np.testing.assert_allclose(np.frombuffer(after, dtype="<f4"), encoded(MODEL, updated), atol=1e-6)
    assert await db.fetchval("SELECT body FROM resumes WHERE id = 'r3'") == updated.text
    assert await brute_force_check(db, MODEL) == 50


async def test_close_removes_from_every_list_and_refills(settings: Settings, db: asyncpg.Connection) -> None:
    async with running_workers(settings):
        await publish(settings, [posting("vacancy", i) for i in range(30)] + [posting("resume", i) for i in range(30)])
        await wait_matched(db, {"vacancy": 30, "resume": 30})
        popular = await db.fetchval(
            """SELECT target_id FROM matches WHERE direction = 'vacancy_to_resume'
               GROUP BY target_id ORDER BY count(*) DESC, target_id LIMIT 1"""
        )
        assert await db.fetchval("SELECT count(*) FROM matches WHERE target_id = $1", popular) > 0
        await publish(settings, [closure("resume", int(popular[1:]), version=9), closure("vacancy", 0, version=9)])
        await settle(db, settings)
        await wait_matched(db, {"vacancy": 29, "resume": 29})
    assert await db.fetchval("SELECT count(*) FROM matches WHERE target_id = $1 OR source_id = $1", popular) == 0
    assert await db.fetchval("SELECT count(*) FROM matches WHERE target_id = 'v0' OR source_id = 'v0'") == 0
    assert await brute_force_check(db, MODEL) == 58  # every remaining list is full (10) and exact


async def test_out_of_order_events_keep_the_newest(settings: Settings, db: asyncpg.Connection) -> None:
    newest = posting("vacancy", 1, seed=2, version=10, text="новый текст вакансии python django")
    older = posting("vacancy", 1, seed=1, version=3, text="старый текст")
    async with running_workers(settings):
        await publish(settings, [posting("resume", i) for i in range(12)] + [newest])
        await wait_matched(db, {"vacancy": 1, "resume": 12})
        await publish(settings, [older, closure("vacancy", 1, version=2)])
        await settle(db, settings)
    assert await db.fetchval("SELECT body FROM vacancies WHERE id = 'v1'") == newest.text
    assert await db.fetchval("SELECT status FROM vacancies WHERE id = 'v1'") == "open"
    outcomes = dict(await db.fetch("SELECT event_id, outcome FROM processed_events"))
    assert outcomes[older.event_id] == "stale"
    assert await brute_force_check(db, MODEL) == 13


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "stored_as", "dim"), [("default", "use-multilingual", 512), ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2", 384)]
)
async def test_superjob_sample_with_real_encoders(
    settings: Settings, db: asyncpg.Connection, model: str, stored_as: str, dim: int
) -> None:
    """The real encoders (the default, and a sentence-transformers model) on real Russian postings."""
    from itertools import islice

    from careerrank.ingest import read_events
    from tests.paths import SUPERJOB_DIR

    real = settings.model_copy(update={"model": settings.model.model_copy(update={"name": model})})
    events = list(islice(read_events(SUPERJOB_DIR / "vacancies.csv"), 40))
    events += list(islice(read_events(SUPERJOB_DIR / "resumes.csv"), 25))
    async with running_workers(real):
        await publish(real, events)
        await wait_matched(db, {"vacancy": 40, "resume": 25}, timeout_s=110)
        await settle(db, real)
    assert await db.fetchval("SELECT DISTINCT model FROM embeddings") == stored_as
    assert await db.fetchval("SELECT DISTINCT dim FROM embeddings") == dim
    assert await brute_force_check(db, stored_as) == 65


async def test_standby_matcher_takes_over_with_an_up_to_date_index(settings: Settings, db: asyncpg.Connection) -> None:
    from workers.bootstrap import build

    standby = build("matcher", settings)
    async with running_workers(settings) as (_, active):
        await standby.start()  # second consumer on a single-active-consumer queue: idle
        try:
            await publish(
                settings, [posting("vacancy", i) for i in range(20)] + [posting("resume", i) for i in range(20)]
            )
            await wait_matched(db, {"vacancy": 20, "resume": 20})
            assert standby.consumer is not None and standby.consumer.batches == 0
            await active.stop()  # the standby becomes active; its index was built before any item existed
            await publish(settings, [posting("vacancy", i) for i in range(20, 30)] + [closure("resume", 0, 5)])
            await wait_matched(db, {"vacancy": 30, "resume": 19})
            await settle(db, settings)
            assert standby.consumer.batches > 0
        finally:
            await standby.stop()
    assert await brute_force_check(db, MODEL) == 49
