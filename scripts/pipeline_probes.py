"""What the benchmarks and the load test measure the running pipeline with: synthetic events, cheap waits
for "everything matched", per-item match times, and a paced publisher. Imported by ``scripts/bench.py`` and
``scripts/load_test.py``; not a script of its own.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import asyncpg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careerrank import TABLES, Settings, connect_broker, event_message, generate, publish_windowed
from schemas import KINDS, Upsert, kind_of


def synthetic(n: int, seed: int) -> list[Upsert]:
    vacancies = int(n * 100 / 145)
    return [event for event, _ in generate(vacancies, n - vacancies, seed=seed)]


async def wait_all_matched(conn: asyncpg.Connection, expected: dict[str, int], timeout_s: float) -> None:
    """Until every table holds ``expected`` rows, all matched. Cheap on purpose (the bench shares the CPU):
    a row count and the partial index of unmatched items, twice a second."""
    deadline = time.monotonic() + timeout_s
    while True:
        pending = 0
        for kind in KINDS:
            rows = await conn.fetchval(f"SELECT count(*) FROM {TABLES[kind]}")
            unmatched = await conn.fetchval(
                f"SELECT count(*) FROM {TABLES[kind]}"
                " WHERE status = 'open' AND matched_version IS DISTINCT FROM version"
            )
            pending += expected[kind] - rows + unmatched
        if pending == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{pending} items not matched after {timeout_s} s")
        await asyncio.sleep(0.5)


async def matched_times(conn: asyncpg.Connection, ids: dict[str, list[str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for kind in KINDS:
        rows = await conn.fetch(
            f"SELECT id, extract(epoch FROM matched_at) AS t FROM {TABLES[kind]} WHERE id = ANY($1::text[])", ids[kind]
        )
        out.update({r["id"]: float(r["t"]) for r in rows})
    return out


async def paced_publish(settings: Settings, events: list[Upsert], rate: float) -> dict[str, float]:
    """Publish ``rate`` events a second over one connection, in 20 chunks a second."""
    sent: dict[str, float] = {}
    broker = await connect_broker(settings.amqp, prefetch=1)
    try:
        start = time.monotonic()
        chunk = max(1, int(rate / 20))
        for i in range(0, len(events), chunk):
            part = events[i : i + chunk]
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            now = time.time()
            await publish_windowed(
                broker.topology.events, (event_message(e) for e in part), settings.amqp.publish_window
            )
            sent.update({e.id: now for e in part})
    finally:
        await broker.connection.close()
    return sent


def kind_ids(events: list[Upsert]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {"vacancy": [], "resume": []}
    for e in events:
        ids[kind_of(e)].append(e.id)
    return ids


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else float("nan")
