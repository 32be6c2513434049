"""Faults mid-stream: SIGKILLed workers, a restarted RabbitMQ, a restarted PostgreSQL.

Each trial streams 5,000 events (new items, updates, closes and re-opens, shuffled) through both workers
running as processes, injects its faults at random moments, and then checks that every event is reflected
exactly once: every open item matched at its current version, one vector per open item, every list the
exact top-10, nothing processed twice, nothing dead-lettered.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from careerrank.devtools import restart_postgres, restart_rabbitmq
from careerrank.settings import Settings
from careerrank.storage import TABLES
from schemas import KINDS, Closure, Upsert
from tests.integration.pipeline import (
    brute_force_check,
    closure,
    posting,
    publish,
    running,
    settle,
    wait_matched,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRIALS = 10
MODEL = "hashing-64"


async def matched_count(conn: asyncpg.Connection) -> int:
    total = 0
    for kind in KINDS:
        total += await conn.fetchval(
            f"SELECT count(*) FROM {TABLES[kind]} WHERE status = 'open' AND matched_version = version"
        )
    return total


@dataclass
class Stream:
    events: list[Upsert | Closure]
    open_ids: dict[str, set[str]]


def make_stream(seed: int, vacancies: int = 2400, resumes: int = 1500) -> Stream:
    """5,000 events: 3,900 new items, 600 updates, 300 closes, 100 re-opens after a close, all shuffled.

    Versions decide the final state whatever the arrival order, so the expected state is known up front.
    """
    rng = random.Random(seed)
    counts = {"vacancy": vacancies, "resume": resumes}
    events: list[Upsert | Closure] = [posting(k, i, seed=seed) for k in KINDS for i in range(counts[k])]
    items = [(k, i) for k in KINDS for i in range(counts[k])]
    updated = rng.sample(items, 600)
    events += [posting(k, i, seed=seed + 1, version=3) for k, i in updated]
    closed = rng.sample(items, 400)
    events += [closure(k, i, version=4) for k, i in closed]
    reopened = closed[:100]
    events += [posting(k, i, seed=seed + 2, version=5) for k, i in reopened]
    rng.shuffle(events)
    open_ids = {k: {f"{k[0]}{i}" for i in range(counts[k])} for k in KINDS}
    for k, i in closed[100:]:
        open_ids[k].discard(f"{k[0]}{i}")
    return Stream(events, open_ids)


def robust(settings: Settings) -> Settings:
    # Each kill returns a batch's messages to the queue; let the delivery limit stay out of this test's way.
    return settings.model_copy(update={"amqp": settings.amqp.model_copy(update={"delivery_limit": 50})})


async def assert_exactly_once(conn: asyncpg.Connection, stream: Stream) -> int:
    event_ids = [e.event_id for e in stream.events]
    assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 0
    # Every event has exactly one outcome (event_id is the primary key, so "once" is the count).
    assert await conn.fetchval("SELECT count(*) FROM processed_events") == len(set(event_ids))
    assert (
        await conn.fetchval("SELECT count(*) FROM processed_events WHERE event_id <> ALL($1::text[])", event_ids) == 0
    )
    for kind in KINDS:
        rows = await conn.fetch(f"SELECT id, version, matched_version FROM {TABLES[kind]} WHERE status = 'open'")
        assert {r["id"] for r in rows} == stream.open_ids[kind], f"open {kind}s differ from the events' final state"
        unmatched = [r["id"] for r in rows if r["matched_version"] != r["version"]]
        assert not unmatched, f"{len(unmatched)} {kind}s without matches at their current version"
        vectors = await conn.fetch(
            f"""SELECT e.item_id FROM embeddings e JOIN {TABLES[kind]} t ON t.id = e.item_id
                 WHERE e.kind = $1 AND (t.status <> 'open' OR e.version <> t.version)""",
            kind,
        )
        assert not vectors, f"stale or orphaned vectors for {kind}s: {[r['item_id'] for r in vectors][:5]}"
    total_open = sum(len(v) for v in stream.open_ids.values())
    assert await conn.fetchval("SELECT count(*) FROM embeddings") == total_open
    # Exact top-10 lists for every open item, none for closed ones, scores of the current vectors.
    assert await brute_force_check(conn, MODEL) == total_open
    return total_open


@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", range(TRIALS))
async def test_random_sigkills_lose_and_duplicate_nothing(
    seed: int, settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    settings = robust(settings)
    rng = random.Random(seed)
    stream = make_stream(seed)
    kills: list[tuple[str, int]] = []  # (worker, items still unmatched at that moment)
    total = sum(len(v) for v in stream.open_ids.values())
    with running(settings, tmp_path) as workers:
        await publish(settings, stream.events)
        for _ in range(rng.randint(3, 5)):
            await asyncio.sleep(rng.uniform(0.3, 2.0))
            role = rng.choice(["embedder", "matcher"])
            workers.kill(role)
            kills.append((role, total - await matched_count(db)))
            workers.start(role)
        await wait_matched(db, {k: len(v) for k, v in stream.open_ids.items()}, timeout_s=240)
        await settle(db, settings)
        assert workers.stop() == [0, 0]
    assert await assert_exactly_once(db, stream) == total
    assert all(pending > 0 for _, pending in kills), f"a kill came after the stream was done: {kills}"
    print(f"seed {seed}: {len(stream.events)} events, kills (worker, items pending): {kills}")


@pytest.mark.timeout(300)
async def test_rabbitmq_and_postgres_restarts_mid_stream(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    settings = robust(settings)
    stream = make_stream(1000)
    with running(settings, tmp_path) as workers:
        await publish(settings, stream.events)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(restart_rabbitmq)
        await asyncio.sleep(3.0)
        await asyncio.to_thread(restart_postgres)
        await asyncio.sleep(1.0)
        workers.kill("embedder")  # and a crash while the others are still recovering
        workers.start("embedder")
        conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value())  # the old one died with the server
        try:
            await wait_matched(conn, {k: len(v) for k, v in stream.open_ids.items()}, timeout_s=240)
            await settle(conn, settings)
            assert workers.stop() == [0, 0]
            await assert_exactly_once(conn, stream)
        finally:
            await conn.close()
    logs = workers.log_text()
    assert "rabbitmq connection lost" in logs
    assert "rabbitmq connection restored" in logs
    assert "hit an unavailable service; retrying" in logs or "postgres unavailable, retrying" in logs
