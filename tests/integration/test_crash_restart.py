"""Workers killed with SIGKILL mid-stream and restarted: every event is reflected exactly once."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys

import asyncpg
import pytest

from careerrank.settings import Settings
from tests.integration.pipeline import brute_force_check, closure, posting, process_env, publish, settle, wait_matched

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def worker_env(settings: Settings) -> dict[str, str]:
    return process_env(settings, CAREERRANK_EMBEDDER__MAX_BATCH="16", CAREERRANK_MATCHER__MAX_BATCH="64")


def spawn(role: str, settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "careerrank", role], env=worker_env(settings), stderr=subprocess.DEVNULL
    )


@pytest.mark.timeout(240)
async def test_sigkill_and_restart_mid_stream_loses_and_duplicates_nothing(
    settings: Settings, db: asyncpg.Connection
) -> None:
    rng = random.Random(20261122)
    events = [posting("vacancy", i) for i in range(300)] + [posting("resume", i) for i in range(200)]
    rng.shuffle(events)
    updates = [posting("resume", i, seed=5, version=3) for i in range(0, 200, 10)]
    closes = [closure("vacancy", i, version=4) for i in range(0, 300, 15)]

    procs = {role: spawn(role, settings) for role in ("embedder", "matcher")}
    try:
        publisher = asyncio.create_task(publish(settings, events + updates + closes))
        for _ in range(4):
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            role = rng.choice(["embedder", "matcher"])
            procs[role].send_signal(signal.SIGKILL)
            procs[role].wait()
            procs[role] = spawn(role, settings)
        await publisher
        await wait_matched(db, {"vacancy": 280, "resume": 200}, timeout_s=150)
        await settle(db, settings)
    finally:
        for p in procs.values():
            p.send_signal(signal.SIGTERM)
        codes = [p.wait(30) for p in procs.values()]
    assert codes == [0, 0]
    assert await db.fetchval("SELECT count(*) FROM processed_events") == len(events) + len(updates) + len(closes)
    assert await db.fetchval("SELECT count(*) FROM embeddings") == 480
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0
    assert await brute_force_check(db, "hashing-64") == 480
