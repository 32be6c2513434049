#!/usr/bin/env python3
"""Benchmark of the whole pipeline against the model's raw speed; prints JSON.

    .venv/bin/python scripts/bench_pipeline.py --events 10000

Runs in a throw-away database and broker namespace with both workers as separate processes:
1. raw ``encode`` throughput of the configured model on exactly the texts the embedder will see;
2. burst: all events published at once; pipeline throughput = events / (first publish → last match commit);
3. paced: events published at a fixed fraction of the measured throughput; latency publish → matches
   committed (p50/p99), which is what a recruiter waits for at normal load.
The ratio pipeline/raw is the pipeline's overhead (batching, I/O, queues, the matcher sharing the CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careerrank.commands import event_message, publish_events
from careerrank.demo import start_worker, stop_worker, wait_for_consumers
from careerrank.encoders import load_encoder, model_id
from careerrank.publishing import publish_windowed
from careerrank.settings import Settings
from careerrank.storage import apply_migrations, drop_database, ensure_database
from careerrank.storage.postings import KINDS, TABLES
from careerrank.synthetic import generate
from careerrank.texts import embedding_text
from careerrank.topology import Names, delete
from schemas import Upsert
from workers.connections import connect_broker


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
    broker = await connect_broker(settings, prefetch=1)
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
        ids[e.type.split(".")[0]].append(e.id)
    return ids


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else float("nan")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--paced-events", type=int, default=1_000)
    ap.add_argument("--paced-fraction", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    tag = uuid.uuid4().hex[:8]
    os.environ["CAREERRANK_AMQP__PREFIX"] = f"bench-{tag}"
    os.environ["CAREERRANK_POSTGRES__DSN"] = f"postgresql://postgres@127.0.0.1:5432/careerrank_bench_{tag}"
    settings = Settings()
    dsn = settings.postgres.dsn.get_secret_value()
    events = synthetic(args.events + args.paced_events, args.seed)
    burst, paced = events[: args.events], events[args.events :]

    encoder = load_encoder(settings.model)
    texts = [embedding_text(e, settings.model.max_chars)[0] for e in burst]
    t0 = time.perf_counter()
    for i in range(0, len(texts), 1024):
        encoder.encode(texts[i : i + 1024])
    raw_s = time.perf_counter() - t0
    raw_rate = len(texts) / raw_s
    del encoder

    await ensure_database(dsn)
    apply_migrations(dsn)
    workers = [start_worker("embedder"), start_worker("matcher")]
    result: dict[str, object] = {}
    try:
        await wait_for_consumers(settings)
        conn = await asyncpg.connect(dsn)
        t_pub = time.time()
        await publish_events(settings, iter(burst))
        publish_s = time.time() - t_pub
        ids = kind_ids(burst)
        await wait_all_matched(conn, {k: len(v) for k, v in ids.items()}, timeout_s=7200)
        times = await matched_times(conn, ids)
        last = max(times.values())
        pipeline_rate = len(burst) / (last - t_pub)
        burst_latency = [t - t_pub for t in times.values()]

        rate = pipeline_rate * args.paced_fraction
        sent = await paced_publish(settings, paced, rate)
        pids = kind_ids(paced)
        await wait_all_matched(conn, {k: len(ids[k]) + len(pids[k]) for k in KINDS}, timeout_s=3600)
        ptimes = await matched_times(conn, pids)
        latency = [ptimes[i] - sent[i] for i in sent]
        await conn.close()
        result = {
            "benchmark": "pipeline",
            "machine": f"{platform.node()} {os.cpu_count()} cpu, {platform.processor() or platform.machine()}",
            "device": "cpu",
            "model": model_id(settings.model),
            "events": len(burst),
            "raw_encode_texts_per_s": round(raw_rate, 2),
            "pipeline_events_per_s": round(pipeline_rate, 2),
            "ratio_pipeline_to_raw": round(pipeline_rate / raw_rate, 3),
            "publish_s": round(publish_s, 2),
            "burst_latency_s": {"p50": pct(burst_latency, 50), "p99": pct(burst_latency, 99)},
            "paced": {
                "events": len(paced),
                "rate_events_per_s": round(rate, 2),
                "latency_s": {"p50": pct(latency, 50), "p99": pct(latency, 99), "max": pct(latency, 100)},
            },
        }
    finally:
        for w in workers:
            stop_worker(w)
        import aio_pika

        connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
        async with connection:
            await delete(await connection.channel(), Names.of(settings.amqp))
        await drop_database(dsn)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    asyncio.run(main())
