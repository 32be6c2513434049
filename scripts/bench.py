#!/usr/bin/env python3
"""The performance benchmark: every stage of CareerRank in one run, JSON out (``scripts/bench`` runs this).

    scripts/bench --out results/bench-cpu.json
    scripts/bench --events 2000 --reindex-vacancies 20000 --reindex-resumes 9000 --model hashing-256

Stages, in a throw-away database and broker namespace, both workers as separate processes:
1. ``encode_raw``: the model's own ``encode`` on the stream's texts, in the embedder's batch size;
2. ``embedder``: the embedder alone on a backlog of the same events (model loaded first) → events/s and its
   ratio to raw encode; the index updates it publishes queue up for the next stage;
3. ``matcher``: the matcher alone on that backlog of index updates → items/s matched, match rows written/s;
4. ``end_to_end``: both workers on a fresh burst (events/s, publish → matches latency), then the same at a
   fixed fraction of that rate (latency at normal load);
5. ``vector_search``: FAISS add and top-10 search against torch's matrix product + top-k, on the stored vectors;
6. ``reindex``: a synthetic corpus at the prototype's scale (100k vacancies, 45k resumes) loaded straight into
   PostgreSQL, then ``careerrank reindex`` with the model: every vector and every list, per stage;
7. ``scale`` (not run by default): both workers streaming on that corpus and on a 10k one (``bench_scale``);
8. ``scoring`` (not run by default): the learned scorer: training, the full rescore, applications/s
   (``bench_scoring``).
Every result names the machine it was measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compute import compute_stage, machine
from pipeline_probes import kind_ids, matched_times, paced_publish, pct, wait_all_matched
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from careerrank import (
    TABLES,
    Names,
    Session,
    Settings,
    apply_migrations,
    delete_topology,
    drop_database,
    embedding_text,
    ensure_database,
    ensure_up,
    generate,
    load_encoder,
    model_id,
    publish_events,
    queue_stats,
    reindex,
    start_worker,
    stop_worker,
    text_hash,
)
from schemas import KINDS, Kind, Upsert, kind_of

PROTOTYPE_SCALE = (100_000, 45_000)  # the CareerRank prototype indexed 96,223 vacancies; SuperJob-sized resume base


def events_of(n: int, seed: int) -> list[Upsert]:
    vacancies = round(n * PROTOTYPE_SCALE[0] / sum(PROTOTYPE_SCALE))
    return [event for event, _ in generate(vacancies, n - vacancies, seed=seed)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    """Counter totals of a worker's /metrics, summed over labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total"):
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
            elif sample.name == "careerrank_stage_duration_seconds_sum":
                # Busy time per stage: a floor for a stage's duration when the first commits land before the
                # consumer is seen attached (small runs).
                key = f"busy_{sample.labels['stage']}_s"
                totals[key] = totals.get(key, 0.0) + sample.value
    return totals


async def wait_consuming(settings: Settings, queue: str, timeout_s: float = 600) -> float:
    """Until ``queue`` has a consumer (the worker loaded its model or index); return that moment (epoch s)."""
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout_s
        while True:
            ((_, consumers),) = (await queue_stats(channel, [queue])).values()
            if consumers:
                return time.time()
            if time.monotonic() > deadline:
                raise TimeoutError(f"no consumer on {queue} after {timeout_s} s")
            await asyncio.sleep(0.1)


async def wait_processed(conn: asyncpg.Connection, n: int, timeout_s: float) -> float:
    """Until the embedder has logged ``n`` processed events; return the last one's commit time (epoch s)."""
    deadline = time.monotonic() + timeout_s
    while await conn.fetchval("SELECT count(*) FROM processed_events") < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"embedder did not process {n} events in {timeout_s} s")
        await asyncio.sleep(0.25)
    return float(await conn.fetchval("SELECT extract(epoch FROM max(processed_at)) FROM processed_events"))


def encode_raw(settings: Settings, texts: list[str]) -> dict[str, Any]:
    encoder = load_encoder(settings.model)
    batch = settings.embedder.max_batch
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        encoder.encode(texts[i : i + batch])
    seconds = time.perf_counter() - started
    return {
        "texts": len(texts),
        "batch": batch,
        "seconds": round(seconds, 2),
        "texts_per_s": round(len(texts) / seconds, 1),
        "device": encoder.device,
    }


async def stream_stages(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    dsn = settings.postgres.dsn.get_secret_value()
    names = Names.of(settings.amqp)
    backlog, burst_and_paced = (
        events_of(args.events, args.seed),
        events_of(args.events + args.paced_events, args.seed + 1),
    )
    burst_and_paced = [e.model_copy(update={"id": "x" + e.id, "event_id": "x" + e.event_id}) for e in burst_and_paced]
    burst, paced = burst_and_paced[: args.events], burst_and_paced[args.events :]
    out: dict[str, Any] = {}

    print("bench: encode_raw", file=sys.stderr)
    out["encode_raw"] = encode_raw(settings, [embedding_text(e, settings.model.max_chars)[0] for e in backlog])

    await ensure_database(dsn)
    apply_migrations(dsn)
    conn = await asyncpg.connect(dsn)
    ports = {"embedder": free_port(), "matcher": free_port()}
    workers = {}
    try:
        print("bench: embedder", file=sys.stderr)
        await publish_events(settings.amqp, backlog, per_message=args.per_message)
        workers["embedder"] = start_worker("embedder", {"CAREERRANK_WORKER__METRICS_PORT": str(ports["embedder"])})
        t0 = await wait_consuming(settings, names.embedder_queue)
        t1 = await wait_processed(conn, len(backlog), timeout_s=7200)
        counters = scrape(ports["embedder"])
        embedded = counters.get("careerrank_texts_embedded_total", 0.0)
        seconds = max(t1 - t0, counters.get("busy_encode_s", 0.0))
        rate = len(backlog) / seconds
        out["embedder"] = {
            "events": len(backlog),
            "texts_encoded": int(embedded),
            "seconds": round(seconds, 2),
            "events_per_s": round(rate, 1),
            "ratio_to_raw_encode": round(rate / out["encode_raw"]["texts_per_s"], 3),
        }

        print("bench: matcher", file=sys.stderr)
        workers["matcher"] = start_worker("matcher", {"CAREERRANK_WORKER__METRICS_PORT": str(ports["matcher"])})
        t0 = await wait_consuming(settings, names.matcher_queue)
        ids = kind_ids(backlog)
        await wait_all_matched(conn, {k: len(v) for k, v in ids.items()}, timeout_s=7200)
        t1 = max((await matched_times(conn, ids)).values())
        counters = scrape(ports["matcher"])
        rows = counters.get("careerrank_match_rows_written_total", 0.0)
        lists = counters.get("careerrank_lists_written_total", 0.0)
        seconds = max(t1 - t0, counters.get("busy_prepare_s", 0.0) + counters.get("busy_commit_s", 0.0))
        out["matcher"] = {
            "items": len(backlog),
            "seconds": round(seconds, 2),
            "items_per_s": round(len(backlog) / seconds, 1),
            "lists_written": int(lists),
            "match_rows_written": int(rows),
            "match_rows_per_s": round(rows / seconds, 1),
            "index_size_at_end": {k: len(v) for k, v in ids.items()},
        }

        print("bench: end_to_end", file=sys.stderr)
        t_pub = time.time()
        await publish_events(settings.amqp, burst, per_message=args.per_message)
        bids = kind_ids(burst)
        expected = {k: len(ids[k]) + len(bids[k]) for k in KINDS}
        await wait_all_matched(conn, expected, timeout_s=7200)
        times = await matched_times(conn, bids)
        e2e_rate = len(burst) / (max(times.values()) - t_pub)
        paced_rate = e2e_rate * args.paced_fraction
        sent = await paced_publish(settings, paced, paced_rate)
        pids = kind_ids(paced)
        await wait_all_matched(conn, {k: expected[k] + len(pids[k]) for k in KINDS}, timeout_s=3600)
        ptimes = await matched_times(conn, pids)
        latency = [ptimes[i] - sent[i] for i in sent]
        out["end_to_end"] = {
            "burst_events": len(burst),
            "events_per_s": round(e2e_rate, 1),
            "burst_latency_s": {
                "p50": pct([t - t_pub for t in times.values()], 50),
                "p99": pct([t - t_pub for t in times.values()], 99),
            },
            "paced": {
                "events": len(paced),
                "rate_events_per_s": round(paced_rate, 1),
                "latency_s": {"p50": pct(latency, 50), "p99": pct(latency, 99), "max": pct(latency, 100)},
            },
        }

        print("bench: vector_search", file=sys.stderr)
        out["vector_search"] = await asyncio.to_thread(
            vector_search,
            {k: (await Session(conn).embeddings.load_open(k, model_id(settings.model.name))).matrix for k in KINDS},
        )
    finally:
        await tear_down(conn, workers.values(), settings)
    return out


def vector_search(vectors: dict[Kind, np.ndarray]) -> dict[str, Any]:
    """FAISS flat add + search against torch matmul + topk, both exact, on the stored vectors."""
    import faiss
    import torch

    targets = np.ascontiguousarray(vectors["vacancy"], dtype=np.float32)
    queries = np.ascontiguousarray(vectors["resume"][:2000], dtype=np.float32)
    index = faiss.IndexFlatIP(targets.shape[1])
    started = time.perf_counter()
    index.add(targets)
    add_s = time.perf_counter() - started
    started = time.perf_counter()
    f_scores, _ = index.search(queries, 10)
    faiss_s = time.perf_counter() - started
    t_targets = torch.from_numpy(targets.copy())
    started = time.perf_counter()
    with torch.inference_mode():
        top = torch.topk(torch.from_numpy(queries.copy()) @ t_targets.T, 10, dim=1)
    torch_s = time.perf_counter() - started
    agree = float(np.abs(top.values.numpy() - f_scores).max())
    return {
        "targets": len(targets),
        "queries": len(queries),
        "dim": int(targets.shape[1]),
        "faiss_add_vectors_per_s": round(len(targets) / add_s, 1),
        "faiss_flat_search_queries_per_s": round(len(queries) / faiss_s, 1),
        "torch_matmul_topk_queries_per_s": round(len(queries) / torch_s, 1),
        "max_score_difference": agree,
        "device": "cpu",
    }


async def reindex_stage(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    dsn = settings.postgres.dsn.get_secret_value()
    await ensure_database(dsn)
    apply_migrations(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        print(f"bench: reindex corpus {args.reindex_vacancies} + {args.reindex_resumes}", file=sys.stderr)
        started = time.perf_counter()
        generated = generate(args.reindex_vacancies, args.reindex_resumes, seed=args.seed + 2)
        for kind, chunk in _chunks(generated, 5000):
            hashes = [text_hash(embedding_text(e, settings.model.max_chars)[0]) for e in chunk]
            await Session(conn).items.upsert(kind, chunk, hashes)
        load_s = time.perf_counter() - started
        counts = {k: await conn.fetchval(f"SELECT count(*) FROM {TABLES[k]}") for k in KINDS}
    finally:
        await conn.close()
    try:
        result = (await reindex(settings, progress=args.progress)).as_dict()
    finally:
        await drop_database(dsn)
    items = counts["vacancy"] + counts["resume"]
    total = result["stages_s"]["total"]
    return {
        "corpus": counts,
        "corpus_load_s": round(load_s, 1),
        **result,
        "items_per_s": round(items / total, 1),
        "prototype_reference": "CareerRank prototype: 96,223 vacancies in 133 s (rubert-tiny2, A10), one direction",
    }


def _chunks(generated: Iterator[tuple[Upsert, Any]], size: int) -> Iterator[tuple[Kind, list[Upsert]]]:
    pending: dict[Kind, list[Upsert]] = {"vacancy": [], "resume": []}
    for event, _ in generated:
        kind = kind_of(event)
        pending[kind].append(event)
        if len(pending[kind]) >= size:
            yield kind, pending[kind]
            pending[kind] = []
    for kind, rest in pending.items():
        if rest:
            yield kind, rest


async def tear_down(conn: asyncpg.Connection, workers: Iterable[subprocess.Popen[bytes]], settings: Settings) -> None:
    """What a stage that ran workers leaves behind: its connection, the workers, its queues and database."""
    await conn.close()
    for w in workers:
        stop_worker(w)
    await drop_namespace(settings)
    await drop_database(settings.postgres.dsn.get_secret_value())


async def drop_namespace(settings: Settings) -> None:
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        await delete_topology(await connection.channel(), Names.of(settings.amqp))


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000, help="events in the backlog and in the burst")
    ap.add_argument("--paced-events", type=int, default=1_000)
    ap.add_argument("--paced-fraction", type=float, default=0.5)
    ap.add_argument("--reindex-vacancies", type=int, default=PROTOTYPE_SCALE[0])
    ap.add_argument("--reindex-resumes", type=int, default=PROTOTYPE_SCALE[1])
    ap.add_argument("--model", default=None, help="model name or path (default: CAREERRANK_MODEL__NAME or the default)")
    ap.add_argument(
        "--stages",
        default="stream,reindex",
        help="comma-separated: stream, reindex, compute (reindex's encode + lists without the services: GPU runs),"
        " scale (streaming at the reindex corpus's size and at --scale-small), scoring (the learned scorer)",
    )
    ap.add_argument("--scale-events", type=int, default=20_000, help="scale: events in the backlog and the burst")
    ap.add_argument("--scale-paced", type=int, default=3_000, help="scale: events published at a steady rate")
    ap.add_argument("--scale-small", type=int, default=10_000, help="scale: items of the small database (0: none)")
    ap.add_argument("--scale-small-events", type=int, default=5_000)
    ap.add_argument(
        "--scale-rank", action="store_true", help="scale: the scorer ranks every list the matcher changes (slower)"
    )
    ap.add_argument("--per-message", type=int, default=1, help="events per message for the stream stages")
    ap.add_argument("--scoring-vacancies", type=int, default=2000)
    ap.add_argument("--scoring-resumes", type=int, default=1500)
    ap.add_argument("--scoring-k", type=int, default=100, help="scoring: candidates per list (the matcher's K)")
    ap.add_argument("--scoring-applications", type=int, default=20_000, help="scoring: applications in the backlog")
    ap.add_argument("--scoring-per-message", type=int, default=100)
    ap.add_argument("--scoring-stream", type=int, default=2000, help="scoring: new postings streamed at the end")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--progress", action="store_true", help="progress bars for the reindex")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    if args.model:
        os.environ["CAREERRANK_MODEL__NAME"] = args.model
    tag = uuid.uuid4().hex[:8]
    os.environ["CAREERRANK_AMQP__PREFIX"] = f"bench-{tag}"
    os.environ["CAREERRANK_POSTGRES__DSN"] = f"postgresql://postgres@127.0.0.1:5432/careerrank_bench_{tag}"
    settings = Settings()
    stages = set(args.stages.split(","))
    if stages & {"stream", "reindex", "scale", "scoring"}:
        ensure_up(settings.postgres.dsn.get_secret_value(), settings.amqp.url.get_secret_value())
    result: dict[str, Any] = {
        "benchmark": "careerrank",
        "machine": machine(),
        "model": model_id(settings.model.name),
        "events_per_message": args.per_message,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    def save() -> None:
        # After every stage, so a long run that fails late keeps what it measured.
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    if "stream" in stages:
        result.update(await stream_stages(settings, args))
        save()
    if "compute" in stages:
        result["compute"] = await asyncio.to_thread(compute_stage, settings, args)
        save()
    if "reindex" in stages:
        dsn = SecretStr(settings.postgres.dsn.get_secret_value() + "_reindex")
        reindex_settings = settings.model_copy(update={"postgres": settings.postgres.model_copy(update={"dsn": dsn})})
        result["reindex"] = await reindex_stage(reindex_settings, args)
        save()
    if "scale" in stages:
        from bench_scale import scale_stage

        result["scale"] = await scale_stage(settings, args)
        save()
    if "scoring" in stages:
        from bench_scoring import scoring_stage

        result["scoring"] = await scoring_stage(settings, args)
        save()
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
