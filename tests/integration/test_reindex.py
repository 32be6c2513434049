"""Reindex against the real RabbitMQ and PostgreSQL: bulk rebuild, atomic swap, live traffic, model switch."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from careerrank.jobs.reindex import reindex
from careerrank.settings import Settings
from tests.integration.pipeline import (
    brute_force_check,
    closure,
    posting,
    publish,
    running_workers,
    settle,
    wait_matched,
)

pytestmark = pytest.mark.integration

OLD, NEW = "hashing-64", "hashing-128"


async def test_reindex_to_a_new_model_rebuilds_every_vector_and_list(
    settings: Settings, db: asyncpg.Connection
) -> None:
    async with running_workers(settings):
        await publish(settings, [posting("vacancy", i) for i in range(40)] + [posting("resume", i) for i in range(30)])
        await wait_matched(db, {"vacancy": 40, "resume": 30})
        await settle(db, settings)
        generation = await db.fetchval("SELECT generation FROM matcher_state")
        result = await reindex(settings, NEW, progress=False)

    assert result.counts["vacancies"] == 40 and result.counts["resumes"] == 30
    assert result.counts["encoded"] == 70
    assert result.counts["match_rows"] == 70 * 10
    assert await brute_force_check(db, NEW) == 70
    assert await db.fetchval("SELECT model FROM active_model") == NEW
    assert await db.fetchval("SELECT generation FROM matcher_state") > generation
    assert {r["model_version"] for r in await db.fetch("SELECT DISTINCT model_version FROM matches")} == {
        f"{NEW}/cosine"
    }
    # The old model's vectors stay (a switch back needs no re-encode), the swap left no tables behind.
    assert await db.fetchval("SELECT count(*) FROM embeddings WHERE model = $1", OLD) == 70
    assert await db.fetchval(
        "SELECT to_regclass('match_lists_next') IS NULL AND to_regclass('match_lists_replaced') IS NULL"
    )
    record = await db.fetchrow("SELECT model, vacancies, resumes, encoded, match_rows FROM reindexes")
    assert dict(record) == {"model": NEW, "vacancies": 40, "resumes": 30, "encoded": 70, "match_rows": 700}
    assert await db.fetchval("SELECT to_regclass('match_lists_pkey') IS NOT NULL")


async def test_after_a_switch_an_old_embedder_holds_events_until_a_new_one_takes_them(
    settings: Settings, db: asyncpg.Connection
) -> None:
    quick_stop = settings.model_copy(update={"worker": settings.worker.model_copy(update={"drain_timeout_s": 1.0})})
    async with running_workers(quick_stop):
        await publish(settings, [posting("vacancy", i) for i in range(20)] + [posting("resume", i) for i in range(20)])
        await wait_matched(db, {"vacancy": 20, "resume": 20})
        await reindex(settings, NEW, progress=False)
        await publish(settings, [posting("vacancy", 100 + i) for i in range(5)] + [closure("resume", 3, version=9)])
        await asyncio.sleep(2.0)
        # Held, not written and not dead-lettered: the old embedder may not write vectors of the old model.
        assert await db.fetchval("SELECT count(*) FROM vacancies") == 20
        assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0
    switched = settings.model_copy(update={"model": settings.model.model_copy(update={"name": NEW})})
    async with running_workers(switched):
        await wait_matched(db, {"vacancy": 25, "resume": 19}, timeout_s=60)
        await settle(db, switched)
    assert await brute_force_check(db, NEW) == 44
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0


async def test_reindex_under_live_traffic_leaves_exact_lists(settings: Settings, db: asyncpg.Connection) -> None:
    async with running_workers(settings):
        await publish(settings, [posting("vacancy", i) for i in range(60)] + [posting("resume", i) for i in range(40)])
        await wait_matched(db, {"vacancy": 60, "resume": 40})
        traffic = (
            [posting("vacancy", 200 + i) for i in range(30)]
            + [posting("resume", 200 + i) for i in range(20)]
            + [posting("vacancy", i, seed=5, version=3) for i in range(10)]  # updates with new texts
            + [closure("resume", i, version=4) for i in range(5)]
        )

        async def stream() -> None:
            for start in range(0, len(traffic), 5):
                await publish(settings, traffic[start : start + 5])
                await asyncio.sleep(0.02)

        result, _ = await asyncio.gather(reindex(settings, force=True, progress=False), stream())
        await wait_matched(db, {"vacancy": 90, "resume": 55}, timeout_s=60)
        await settle(db, settings)
    assert result.counts["encoded"] >= 100
    assert await brute_force_check(db, OLD) == 145
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0


async def test_after_a_reindex_the_matcher_starts_with_every_reserve(
    settings: Settings, db: asyncpg.Connection
) -> None:
    # Lists read back from match_lists are K deep: a list that then loses a target needs a search over every
    # target. The reindex leaves each list as deep as the matcher holds it, so closes cost no search at all.
    async with running_workers(settings):
        await publish(settings, [posting("vacancy", i) for i in range(40)] + [posting("resume", i) for i in range(30)])
        await wait_matched(db, {"vacancy": 40, "resume": 30})
        await settle(db, settings)
    await reindex(settings, NEW, progress=False)
    assert await db.fetchval("SELECT reserves_generation = generation FROM matcher_state")
    reserves = {
        (r["direction"], r["source_id"]): list(r["target_ids"])
        for r in await db.fetch("SELECT direction, source_id, target_ids FROM list_reserves")
    }
    stored = {
        (r["direction"], r["source_id"]): list(r["target_ids"])
        for r in await db.fetch("SELECT direction, source_id, target_ids FROM match_lists")
    }
    assert reserves.keys() == stored.keys() and len(stored) == 70
    assert all(reserves[key][:10] == stored[key] and len(reserves[key]) == 20 for key in stored)

    switched = settings.model_copy(update={"model": settings.model.model_copy(update={"name": NEW})})
    async with running_workers(switched) as (_, matcher):
        await publish(settings, [closure("resume", i, version=9) for i in range(4)])
        await wait_matched(db, {"vacancy": 40, "resume": 26})
        await settle(db, switched)
        full = matcher.metrics.lists_written.labels("vacancy_to_resume", "full")._value.get()
        merged = matcher.metrics.lists_written.labels("vacancy_to_resume", "merge")._value.get()
    assert full == 0 and merged == 0, "every vacancy list that lost a resume filled up from its reserve"
    assert await brute_force_check(db, NEW) == 66
    # The first lists written moved the generation on: the reserves are out of date.
    assert not await db.fetchval("SELECT reserves_generation = generation FROM matcher_state")
