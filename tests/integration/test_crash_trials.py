"""Faults mid-stream: SIGKILLed workers, crash loops, a restarted RabbitMQ, a restarted PostgreSQL.

Each trial streams 5,000 events (new items, updates, closes and re-opens, shuffled) through both workers
running as processes, injects its faults at random moments, and then checks that every event is reflected
exactly once: every open item matched at its current version, one vector per open item, every list the
exact top-10, nothing processed twice, nothing dead-lettered. A message that does kill the worker every
time is found, alone, and dead-lettered with its reason; what the broker dead-letters itself is recorded.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from careerrank.cli.commands import dead_letters_command
from careerrank.devtools import restart_postgres, restart_rabbitmq
from careerrank.messaging import Names, queue_stats
from careerrank.settings import Settings
from careerrank.storage import TABLES
from schemas import KINDS, Closure, Upsert
from tests.integration.pipeline import (
    brute_force_check,
    closure,
    posting,
    publish,
    running,
    running_workers,
    settle,
    wait_matched,
)
from workers.dead_letters import REASON_HEADER

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
    rng = random.Random(seed)
    stream = make_stream(seed)
    kills: list[tuple[str, int]] = []  # (worker, items still unmatched at that moment)
    total = sum(len(v) for v in stream.open_ids.values())
    with running(settings, tmp_path) as workers:
        await publish(settings, stream.events)
        for _ in range(rng.randint(3, 5)):
            await asyncio.sleep(rng.uniform(0.2, 1.2))
            pending = total - await matched_count(db)
            if not pending:
                break  # the workers outran the plan: a kill now would test nothing mid-stream
            role = rng.choice(["embedder", "matcher"])
            workers.kill(role)
            kills.append((role, pending))
            workers.start(role)
        await wait_matched(db, {k: len(v) for k, v in stream.open_ids.items()}, timeout_s=240)
        await settle(db, settings)
        assert workers.stop() == [0, 0]
    assert await assert_exactly_once(db, stream) == total
    assert len(kills) >= 2, f"fewer than two kills landed mid-stream: {kills}"
    print(f"seed {seed}: {len(stream.events)} events, kills (worker, items pending): {kills}")


@pytest.mark.timeout(300)
async def test_rabbitmq_and_postgres_restarts_mid_stream(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    stream = make_stream(1000)
    names = Names.of(settings.amqp)
    with running(settings, tmp_path) as workers:
        await publish(settings, stream.events)
        for queue in (names.embedder_queue, names.matcher_queue):  # both connected, however slow their start
            await consuming(settings, queue)
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
            # The work may be done before the restarted embedder is up; a SIGTERM during its start-up would kill it
            # before it handles signals, so it is stopped once it consumes.
            await consuming(settings, names.embedder_queue, timeout_s=180)
            assert workers.stop() == [0, 0]
            await assert_exactly_once(conn, stream)
        finally:
            await conn.close()
    logs = workers.log_text()
    assert "rabbitmq connection lost" in logs
    assert "rabbitmq connection restored" in logs
    assert "hit an unavailable service; retrying" in logs or "postgres unavailable, retrying" in logs


async def consuming(settings: Settings, queue: str, timeout_s: float = 60) -> None:
    """Until ``queue`` has a consumer (a worker started and took its prefetch window)."""
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout_s
        while (await queue_stats(channel, [queue]))[queue][1] == 0:
            assert time.monotonic() < deadline, f"nothing consumes {queue}"
            await asyncio.sleep(0.05)


@pytest.mark.timeout(400)
async def test_a_crash_loop_parks_nothing_and_loses_nothing(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # A bad deploy or an OOM loop: each worker killed seven times shortly after it starts, with a backlog. Every
    # kill hands the whole prefetch window back, so every message in it is delivered again and again; none of
    # them is to blame, and none may be parked.
    stream = make_stream(77)
    names = Names.of(settings.amqp)
    queues = {"embedder": names.embedder_queue, "matcher": names.matcher_queue}
    rng = random.Random(77)
    kills: list[tuple[str, int]] = []
    total = sum(len(v) for v in stream.open_ids.values())
    with running(settings, tmp_path) as workers:
        await publish(settings, stream.events)
        for _ in range(7):
            for role in ("embedder", "matcher"):
                await consuming(settings, queues[role])
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                workers.kill(role)
                kills.append((role, total - await matched_count(db)))
                workers.start(role)
        await wait_matched(db, {k: len(v) for k, v in stream.open_ids.items()}, timeout_s=300)
        await settle(db, settings)
        assert workers.stop() == [0, 0]
    assert await assert_exactly_once(db, stream) == total  # no dead letter among them
    assert await db.fetchval("SELECT count(*) FROM delivery_trials") == 0
    assert all(pending > 0 for _, pending in kills[:12]), f"the loop ran without a backlog: {kills}"
    assert '"trying redelivered messages alone"' in workers.log_text()
    print(f"crash loop: kills (worker, items pending): {kills}")


@pytest.mark.timeout(400)
@pytest.mark.parametrize("seed", [5])
async def test_a_matcher_dying_in_its_start_up_window_blames_no_message(
    seed: int, settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # The matcher alone in a crash loop over a backlog of index updates: killed shortly after each start,
    # while it takes its first batches. Its prefetch window comes back each time, every message in it is soon
    # a suspect, and the kills land on lone tries; none of them is the message's doing, so none may be parked.
    stream = make_stream(seed)
    queue = Names.of(settings.amqp).matcher_queue
    rng = random.Random(seed)
    kills: list[tuple[float, int]] = []  # (seconds after it began consuming, items still unmatched)
    total = sum(len(v) for v in stream.open_ids.values())
    with running(settings, tmp_path, roles=("embedder",)) as workers:
        await publish(settings, stream.events)
        deadline = time.monotonic() + 120
        while (await queue_stats_of(settings, queue))[0] < 4000:  # a backlog for the matcher
            assert time.monotonic() < deadline, "the embedder did not build a backlog"
            await asyncio.sleep(0.2)
        for _ in range(8):
            workers.start("matcher")
            await consuming(settings, queue)
            delay = rng.uniform(0.05, 0.5)
            await asyncio.sleep(delay)
            workers.kill("matcher")
            kills.append((round(delay, 2), total - await matched_count(db)))
        workers.start("matcher")
        await consuming(settings, queue)
        await wait_matched(db, {k: len(v) for k, v in stream.open_ids.items()}, timeout_s=300)
        await settle(db, settings)
        assert workers.stop() == [0, 0]
        logs = workers.log_text()
    blamed = await db.fetch("SELECT reason FROM dead_letters")
    assert not blamed, f"{len(blamed)} innocent message(s) dead-lettered after kills at {kills} s: {blamed[:3]}"
    assert await assert_exactly_once(db, stream) == total
    assert await db.fetchval("SELECT count(*) FROM delivery_trials") == 0
    assert '"trying redelivered messages alone"' in logs
    assert all(pending > 0 for _, pending in kills), f"kills landed after the backlog was gone: {kills}"
    print(f"matcher crash loop, seed {seed}: kills (s after it began consuming, items pending): {kills}")


async def queue_stats_of(settings: Settings, queue: str) -> tuple[int, int]:
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        return (await queue_stats(await connection.channel(), [queue]))[queue]


async def _stuck_on_a_lock(conn: asyncpg.Connection) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'"""
        )
    )


@pytest.mark.timeout(300)
async def test_a_message_that_kills_the_worker_is_found_alone_and_dead_lettered(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # The "killer" is an update of v0, whose row the test holds locked: the embedder hangs on it wherever it
    # is, and the test SIGKILLs it each time it hangs, as if that event took the process down. The twenty
    # innocent events published with it share its first deliveries and deaths.
    with running(settings, tmp_path) as workers:
        await publish(settings, [posting("vacancy", 0)])
        await wait_matched(db, {"vacancy": 1, "resume": 0})
        locker = await asyncpg.connect(settings.postgres.dsn.get_secret_value())
        lock = locker.transaction()
        await lock.start()
        await locker.execute("SELECT 1 FROM vacancies WHERE id = 'v0' FOR UPDATE")
        killer = posting("vacancy", 0, seed=5, version=1)
        innocents = [posting("resume", i) for i in range(20)]
        await publish(settings, [killer, *innocents])
        deaths = 0
        deadline = time.monotonic() + 200
        while not await db.fetchval("SELECT count(*) FROM dead_letters"):
            assert time.monotonic() < deadline, f"not dead-lettered after {deaths} deaths"
            if await _stuck_on_a_lock(db):
                workers.kill("embedder")
                deaths += 1
                # A backend waiting on a lock does not notice that its client died: end it, as its server
                # would once the connection times out.
                while await _stuck_on_a_lock(db):
                    await db.execute(
                        """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                            WHERE datname = current_database() AND wait_event_type = 'Lock'"""
                    )
                    await asyncio.sleep(0.05)
                workers.start("embedder")
            await asyncio.sleep(0.05)
        await wait_matched(db, {"vacancy": 1, "resume": 20})
        await settle(db, settings)
        letter = await db.fetchrow("SELECT id, queue, reason, body FROM dead_letters")
        await lock.rollback()
        await locker.close()
        # suspect_after (3) deaths with its batch, then crash_limit (3) deaths while it was tried alone.
        assert deaths == 6
        assert letter["reason"] == "the worker died 3 times while processing this message alone"
        assert json.loads(letter["body"])["event_id"] == killer.event_id
        assert letter["queue"] == Names.of(settings.amqp).embedder_queue
        assert await db.fetchval("SELECT count(*) FROM delivery_trials") == 0
        # The cause is gone: the operator replays it, and it is applied like any other event.
        assert await dead_letters_command(settings, "replay", [letter["id"]], everything=False) == 0
        deadline = time.monotonic() + 30
        while await db.fetchval("SELECT matched_version FROM vacancies WHERE id = 'v0'") != killer.occurred_at:
            assert time.monotonic() < deadline, "the replayed event was not applied"
            await asyncio.sleep(0.05)
        await settle(db, settings)
        assert workers.stop() == [0, 0]
    logs = workers.log_text()
    assert '"the worker died while trying this message alone before; trying it alone again"' in logs
    assert '"crashed_worker"' in logs
    assert await brute_force_check(db, MODEL) == 21


async def test_what_the_broker_dead_letters_itself_is_recorded_and_replayable(
    settings: Settings, db: asyncpg.Connection
) -> None:
    amqp = settings.amqp.model_copy(update={"suspect_after": 1, "crash_limit": 1, "delivery_limit": 3})
    settings = settings.model_copy(update={"amqp": amqp})
    names = Names.of(amqp)
    event = posting("vacancy", 1)
    await publish(settings, [event])
    # A consumer that dies holding it, again and again, until the broker's delivery limit parks it.
    for _ in range(10):
        connection = await aio_pika.connect(amqp.url.get_secret_value())
        async with connection:
            queue = await (await connection.channel()).declare_queue(names.embedder_queue, passive=True)
            taken = await queue.get(fail=False)
        if taken is None:
            break
    else:
        raise AssertionError("the broker never dead-lettered the message")
    async with running_workers(settings) as (embedder, matcher):
        deadline = time.monotonic() + 20
        while not await db.fetchval("SELECT count(*) FROM dead_letters"):
            assert time.monotonic() < deadline, "the broker's dead letter was not recorded"
            await asyncio.sleep(0.05)
        letter = await db.fetchrow("SELECT id, queue, reason, body FROM dead_letters")
        assert letter["queue"] == names.embedder_queue
        assert letter["reason"] == f"dead-lettered by the broker (delivery_limit) from {names.embedder_queue}"
        assert bytes(letter["body"]) == event.model_dump_json().encode()
        counted = sum(
            s.metrics.registry.get_sample_value(
                "careerrank_dead_letters_total", {"worker": s.name, "reason": "broker_delivery_limit"}
            )
            or 0
            for s in (embedder, matcher)
        )
        assert counted == 1
        connection = await aio_pika.connect(amqp.url.get_secret_value())
        async with connection:
            channel = await connection.channel()
            dead = await channel.declare_queue(names.dead_queue, passive=True)
            moved = await dead.get(no_ack=True, fail=False)
            assert moved is not None and moved.headers[REASON_HEADER] == letter["reason"]
            assert (await queue_stats(channel, [names.unrecorded_queue]))[names.unrecorded_queue][0] == 0
        assert await dead_letters_command(settings, "replay", [letter["id"]], everything=False) == 0
        await wait_matched(db, {"vacancy": 1, "resume": 0})
