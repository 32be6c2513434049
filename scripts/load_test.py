#!/usr/bin/env python3
"""Load test: a sustained event rate (optionally on top of a backlog) through both workers; prints JSON.

    .venv/bin/python scripts/load_test.py --rate 50 --duration 120
    CAREERRANK_MODEL__NAME=hashing-256 .venv/bin/python scripts/load_test.py --backlog 100000 --rate 0

Runs in a throw-away database and broker namespace with both workers as separate processes. Every
``--sample-s`` it records the workers' RSS, the depth of both queues and the items matched so far.
At the end it reports throughput (overall and per window, to show it does not collapse), publish →
matches committed latency p50/p99 of the paced events, RSS over time, and the drain time: SIGTERM to
exit for each worker, sent while work is still queued when ``--stop-while-busy`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_probes import kind_ids, matched_times, paced_publish, pct, synthetic, wait_all_matched

from careerrank import (
    TABLES,
    Names,
    Settings,
    apply_migrations,
    delete_topology,
    drop_database,
    ensure_database,
    model_id,
    publish_events,
    queue_stats,
    start_worker,
    wait_for_consumers,
)
from schemas import KINDS


def rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def sample_forever(
    settings: Settings, dsn: str, pids: dict[str, int], every_s: float, out: list[dict[str, Any]]
) -> None:
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    conn = await asyncpg.connect(dsn)
    started = time.monotonic()
    try:
        channel = await connection.channel()
        while True:
            stats = await queue_stats(channel, [names.embedder_queue, names.matcher_queue])
            matched = 0
            for kind in KINDS:
                matched += await conn.fetchval(f"SELECT count(*) FROM {TABLES[kind]} WHERE matched_version = version")
            out.append(
                {
                    "t_s": round(time.monotonic() - started, 1),
                    "rss_mib": {role: rss_mib(pid) for role, pid in pids.items()},
                    "queue_depth": {name.rsplit(".", 1)[-1]: depth for name, (depth, _) in stats.items()},
                    "matched": matched,
                }
            )
            await asyncio.sleep(every_s)
    finally:
        await conn.close()
        await connection.close()


def windows(samples: list[dict[str, Any]], width_s: float) -> list[float]:
    """Items matched per second in consecutive windows (throughput over time)."""
    rates, start = [], samples[0] if samples else None
    for s in samples[1:]:
        if start is not None and s["t_s"] - start["t_s"] >= width_s:
            rates.append(round((s["matched"] - start["matched"]) / (s["t_s"] - start["t_s"]), 1))
            start = s
    return rates


def rss_summary(samples: list[dict[str, Any]], role: str) -> dict[str, float | None]:
    values = [s["rss_mib"][role] for s in samples if s["rss_mib"].get(role) is not None]
    if not values:
        return {}
    tail = values[len(values) // 2 :]
    return {
        "first": values[0],
        "max": max(values),
        "last": values[-1],
        "second_half_min": min(tail),
        "second_half_max": max(tail),
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=50.0, help="paced events per second (0: none)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of paced publishing")
    ap.add_argument("--backlog", type=int, default=0, help="events published before the workers start")
    ap.add_argument("--sample-s", type=float, default=2.0)
    ap.add_argument("--window-s", type=float, default=20.0)
    ap.add_argument("--stop-while-busy", action="store_true", help="SIGTERM the workers with work still queued")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    tag = uuid.uuid4().hex[:8]
    os.environ["CAREERRANK_AMQP__PREFIX"] = f"load-{tag}"
    os.environ["CAREERRANK_POSTGRES__DSN"] = f"postgresql://postgres@127.0.0.1:5432/careerrank_load_{tag}"
    settings = Settings()
    dsn = settings.postgres.dsn.get_secret_value()
    paced_n = int(args.rate * args.duration)
    events = synthetic(args.backlog + paced_n, args.seed)
    backlog, paced = events[: args.backlog], events[args.backlog :]

    await ensure_database(dsn)
    apply_migrations(dsn)
    samples: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    workers: dict[str, Any] = {}
    sampler: asyncio.Task[None] | None = None
    try:
        if backlog:
            # The workers declare the same topology; declaring it first keeps the backlog routable.
            t_backlog = time.time()
            await publish_events(settings.amqp, backlog)
            result["backlog_publish_s"] = round(time.time() - t_backlog, 1)
        workers = {role: start_worker(role) for role in ("embedder", "matcher")}
        await wait_for_consumers(settings)
        t_start = time.time()
        sampler = asyncio.create_task(
            sample_forever(settings, dsn, {r: p.pid for r, p in workers.items()}, args.sample_s, samples)
        )
        sent = await paced_publish(settings, paced, args.rate) if paced else {}
        conn = await asyncpg.connect(dsn)
        drain: dict[str, Any] = {}
        if args.stop_while_busy:
            for proc in workers.values():
                proc.send_signal(signal.SIGTERM)
            drain = dict(zip(workers, await asyncio.gather(*(_exit_after(p) for p in workers.values())), strict=True))
            left = sum(n for n, _ in (await _depths(settings)).values())
            result["stopped_while_busy"] = {"drain": drain, "messages_left_queued": left}
        else:
            ids = kind_ids(backlog + paced)
            await wait_all_matched(conn, {k: len(v) for k, v in ids.items()}, timeout_s=7200)
            times = await matched_times(conn, ids)
            t_end = max(times.values())
            latency = [times[i] - sent[i] for i in sent]
            result.update(
                {
                    "events": len(backlog) + len(paced),
                    "throughput_events_per_s": round((len(backlog) + len(paced)) / (t_end - t_start), 2),
                }
            )
            if latency:
                result["paced"] = {
                    "events": len(paced),
                    "rate_events_per_s": args.rate,
                    "latency_s": {"p50": pct(latency, 50), "p99": pct(latency, 99), "max": pct(latency, 100)},
                }
            for proc in workers.values():
                proc.send_signal(signal.SIGTERM)
            drain = dict(zip(workers, await asyncio.gather(*(_exit_after(p) for p in workers.values())), strict=True))
            result["drain_idle"] = drain
        await conn.close()
    finally:
        if sampler is not None:
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
        for proc in workers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
        async with connection:
            await delete_topology(await connection.channel(), Names.of(settings.amqp))
        await drop_database(dsn)
    report = {
        "benchmark": "load",
        "machine": f"{platform.node()} {os.cpu_count()} cpu, {platform.processor() or platform.machine()}",
        "model": model_id(settings.model.name),
        "backlog": len(backlog),
        **result,
        "throughput_per_window_events_per_s": windows(samples, args.window_s),
        "max_queue_depth": {
            q: max((s["queue_depth"].get(q, 0) for s in samples), default=0) for q in ("embedder", "matcher")
        },
        "rss_mib": {role: rss_summary(samples, role) for role in ("embedder", "matcher")},
        "samples": samples[:: max(1, len(samples) // 60)],
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


async def _exit_after(proc: Any) -> dict[str, Any]:
    """Seconds from now (just after SIGTERM) until ``proc`` exits, and its exit code."""
    started = time.monotonic()
    code = await asyncio.to_thread(proc.wait, 120)
    return {"seconds": round(time.monotonic() - started, 2), "exit_code": code}


async def _depths(settings: Settings) -> dict[str, tuple[int, int]]:
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        return await queue_stats(await connection.channel(), [names.embedder_queue, names.matcher_queue])


if __name__ == "__main__":
    asyncio.run(main())
