"""The ``scale`` stage of ``scripts/bench``: both workers on a database at the prototype's scale.

Per phase (a 10k database, then 100k vacancies + 45k resumes): the corpus loaded straight into PostgreSQL and
reindexed (every vector and list), then a stream of new items with 10% updates and 10% closes of open ones:
1. a backlog the embedder works through alone, then the matcher alone on the index updates it queued
   (matcher items/s; the matcher starts with the lists as the reindex stored them);
2. a burst through both workers (events/s, publish -> matched);
3. paced publishing at a fraction of that rate (publish -> matched latency of every item);
4. both workers' RSS, the matcher's restart (SIGTERM, start, until it consumes with its index loaded);
5. every list checked against a brute-force top-K over the stored vectors of all open items.
With ``--scale-rank`` the scorer runs too: before 1., a scoring model trained on simulated recruiters is
activated and the scorer ranks every list under it (the full rescore, lists/s); in 1. it ranks every list the
matcher changes, and the backlog counts as done once every such list is ranked again: new items/s matched and
ranked, the matcher and the re-ranking together.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg
import numpy as np
import torch
from bench import _chunks, free_port, scrape, tear_down, wait_consuming
from pipeline_probes import paced_publish, pct

from careerrank import (
    TABLES,
    Database,
    Names,
    Session,
    Settings,
    apply_migrations,
    build_encoder,
    embedding_text,
    ensure_database,
    generate,
    model_id,
    parse_model_name,
    prepare_simulated_training,
    publish_events,
    reindex,
    start_worker,
    stop_worker,
    text_hash,
    train_on_simulation,
)
from schemas import DIRECTIONS, KINDS, Event, ResumeClosed, VacancyClosed, kind_of, opposite

UPDATES, CLOSES = 0.1, 0.1


def stream_of(open_ids: dict[str, list[str]], n: int, seed: int, start_s: float) -> list[Event]:
    """``n`` events: new items, updates of open ones, closes of open ones (those leave ``open_ids``)."""
    rng = random.Random(seed)
    fresh = (event for event, _ in generate(10**7, 10**7 * 45 // 100, seed=seed))
    out: list[Event] = []
    for i in range(n):
        event = next(fresh)
        kind, pool, r = kind_of(event), open_ids[kind_of(event)], rng.random()
        at = event.occurred_at + timedelta(seconds=start_s + i)
        if r < CLOSES and pool:
            j = rng.randrange(len(pool))
            pool[j], item = pool[-1], pool[j]
            pool.pop()
            closed = VacancyClosed if kind == "vacancy" else ResumeClosed
            out.append(closed(event_id=f"c{seed}-{i}", occurred_at=at, id=item))
        elif r < CLOSES + UPDATES and pool:
            out.append(event.model_copy(update={"id": rng.choice(pool), "event_id": f"u{seed}-{i}", "occurred_at": at}))
        else:
            out.append(
                event.model_copy(update={"id": f"n{seed}-{event.id}", "event_id": f"n{seed}-{i}", "occurred_at": at})
            )
            pool.append(out[-1].id)
    return out


async def wait_settled(conn: asyncpg.Connection, events: list[Event], timeout_s: float) -> dict[str, float]:
    """Until every item of ``events`` is matched at its latest version; return each one's matched time."""
    latest: dict[tuple[str, str], Any] = {}
    for e in events:
        latest[(kind_of(e), e.id)] = max(e.occurred_at, latest.get((kind_of(e), e.id), e.occurred_at))
    deadline = time.monotonic() + timeout_s
    while True:
        pending, times = 0, {}
        for kind in KINDS:
            ids = [i for k, i in latest if k == kind]
            rows = await conn.fetch(
                f"SELECT id, matched_version, extract(epoch FROM matched_at) AS t FROM {TABLES[kind]}"
                " WHERE id = ANY($1::text[])",
                ids,
            )
            done = {r["id"]: r for r in rows if r["matched_version"] is not None}
            pending += sum(1 for i in ids if i not in done or done[i]["matched_version"] < latest[(kind, i)])
            times.update({f"{kind}:{i}": float(r["t"]) for i, r in done.items()})
        if not pending:
            return times
        if time.monotonic() > deadline:
            raise TimeoutError(f"{pending} items not matched after {timeout_s} s")
        await asyncio.sleep(0.5)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return round(int(line.split()[1]) / 1024, 1)


async def load_corpus(conn: asyncpg.Connection, settings: Settings, vacancies: int, resumes: int, seed: int) -> None:
    for kind, chunk in _chunks(generate(vacancies, resumes, seed=seed), 5000):
        hashes = [text_hash(embedding_text(e, settings.model.max_chars)[0]) for e in chunk]
        await Session(conn).items.upsert(kind, chunk, hashes)


async def brute_force(conn: asyncpg.Connection, model: str, k: int) -> dict[str, Any]:
    """Every stored list against the exact top-``k`` over the stored vectors of all open items (float32)."""
    vectors: dict[str, tuple[list[str], torch.Tensor]] = {}
    for kind in KINDS:
        opened = await Session(conn).embeddings.load_open(kind, model)
        vectors[kind] = (opened.ids, torch.from_numpy(np.array(opened.matrix, dtype=np.float32)))
    checked, wrong = 0, []
    for kind in KINDS:
        src_ids, src = vectors[kind]
        tgt_ids, tgt = vectors[opposite(kind)]
        rows = await conn.fetch(
            "SELECT source_id, target_ids, scores FROM match_lists WHERE direction = $1", DIRECTIONS[kind]
        )
        stored = {r["source_id"]: (r["target_ids"], np.float32(r["scores"])) for r in rows}
        position = {t: j for j, t in enumerate(tgt_ids)}
        wrong += [f"{kind} {s}: not open" for s in set(stored) - set(src_ids)]
        top = min(k, len(tgt_ids))
        with torch.inference_mode():
            for start in range(0, len(src_ids), 1024):
                block = src[start : start + 1024] @ tgt.T
                best = torch.topk(block, top, dim=1).values.numpy()
                for i, source in enumerate(src_ids[start : start + 1024]):
                    targets, scores = stored.get(source, ([], np.zeros(0, np.float32)))
                    at = [position.get(t, -1) for t in targets]
                    ok = (
                        len(targets) == top
                        and min(at, default=0) >= 0
                        and np.allclose(scores, best[i], atol=1e-4)
                        and np.allclose(block[i, at].numpy(), scores, atol=1e-4)
                    )
                    if not ok:
                        wrong.append(f"{kind} {source}")
                    checked += 1
    return {"lists_checked": checked, "wrong": len(wrong), "examples": wrong[:5], "exact": not wrong}


async def activate_simulated_model(settings: Settings, seed: int) -> dict[str, Any]:
    """A scoring model trained on simulated recruiters' feedback (vectors of the stage's model), activated."""
    started = time.perf_counter()
    encoder = build_encoder(parse_model_name(settings.model.name), settings.model)
    model, report = train_on_simulation(prepare_simulated_training(encoder, seed=seed))
    model = replace(model, version="bench-scale")
    postgres = settings.postgres.model_copy(update={"pool_max": 2})
    database = await Database.connect(postgres)
    try:
        async with database.transaction() as session:
            await session.scoring_models.register(
                model.version, feature_version=model.feature_version, trained_on=model.trained_on,
                threshold=model.threshold, metrics=report, artifact=model.to_bytes(),
            )  # fmt: skip
            await session.scoring_models.activate(model.version)
    finally:
        await database.close()
    return {"version": model.version, "train_s": round(time.perf_counter() - started, 1), **report["held_out"]}


async def until_ranked(conn: asyncpg.Connection, version: str, timeout_s: float) -> float:
    """Until no list change waits and every list is ranked under ``version``; return that moment (epoch s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        # The cheap question first: a poll must not load the machine it measures.
        left = await conn.fetchval("SELECT count(*) FROM (SELECT 1 FROM list_changes LIMIT 1) AS any_change")
        if not left:
            at = time.time()
            left = await conn.fetchval(
                """SELECT count(*) FROM match_lists m LEFT JOIN ranked_lists r USING (direction, source_id)
                    WHERE r.model_version IS DISTINCT FROM $1""",
                version,
            )
            if not left:
                return at
        if time.monotonic() > deadline:
            raise TimeoutError(f"{left} lists not ranked after {timeout_s} s")
        await asyncio.sleep(0.5)


async def phase(settings: Settings, args: argparse.Namespace, vacancies: int, resumes: int, events: int) -> dict:
    dsn = settings.postgres.dsn.get_secret_value()
    names = Names.of(settings.amqp)
    model = model_id(settings.model.name)
    await ensure_database(dsn)
    apply_migrations(dsn)
    conn = await asyncpg.connect(dsn)
    ports = {"embedder": free_port(), "matcher": free_port()}
    if args.scale_rank:
        ports["scorer"] = free_port()
    workers: dict[str, Any] = {}
    out: dict[str, Any] = {}
    try:
        print(f"bench: scale {vacancies} + {resumes}: load and reindex", file=sys.stderr)
        started = time.perf_counter()
        await load_corpus(conn, settings, vacancies, resumes, args.seed + 3)
        result = (await reindex(settings, progress=args.progress)).as_dict()
        out["load_and_reindex_s"] = round(time.perf_counter() - started, 1)
        out["reindex_s"] = result["stages_s"]["total"]
        open_ids = {k: [r["id"] for r in await conn.fetch(f"SELECT id FROM {TABLES[k]}")] for k in KINDS}
        out["index_items"] = sum(len(v) for v in open_ids.values())
        backlog = stream_of(open_ids, events, args.seed + 4, 10**6)
        burst = stream_of(open_ids, events, args.seed + 5, 2 * 10**6)
        paced = stream_of(open_ids, args.scale_paced, args.seed + 6, 3 * 10**6)

        print("bench: scale: embedder backlog, then matcher alone", file=sys.stderr)
        env = {
            role: {
                "CAREERRANK_WORKER__METRICS_PORT": str(port),
                "CAREERRANK_POSTGRES__DSN": dsn,
                "CAREERRANK_AMQP__PREFIX": settings.amqp.prefix,
            }
            for role, port in ports.items()
        }
        # The restart below reads the state the matcher wrote when it drained, as a deployment with a volume does.
        snapshots = tempfile.TemporaryDirectory(prefix="careerrank-bench-")
        env["matcher"]["CAREERRANK_MATCHER__SNAPSHOT_DIR"] = snapshots.name
        if args.scale_rank:
            print("bench: scale: a scoring model activated, the full rescore", file=sys.stderr)
            scoring = await activate_simulated_model(settings, args.seed)
            started_at = time.time()
            workers["scorer"] = start_worker("scorer", env["scorer"])
            done_at = await until_ranked(conn, scoring["version"], 7200)
            lists = await conn.fetchval("SELECT count(*) FROM match_lists")
            rescored = scrape(ports["scorer"])
            out["ranking"] = {
                "scoring_model": scoring,
                "full_rescore": {
                    "lists": lists,
                    "seconds": round(done_at - started_at, 1),
                    "lists_per_s": round(lists / (done_at - started_at), 1),
                },
            }
        await publish_events(settings.amqp, backlog)
        workers["embedder"] = start_worker("embedder", env["embedder"])
        await wait_embedded(conn, backlog)
        workers["matcher"] = start_worker("matcher", env["matcher"])
        t0 = await wait_consuming(settings, names.matcher_queue)
        times = await wait_settled(conn, backlog, 1800)
        seconds = max(times.values()) - t0
        counters = scrape(ports["matcher"])
        out["matcher"] = {
            "events": len(backlog),
            "lists_written": int(counters.get("careerrank_lists_written_total", 0.0)),
            "seconds": round(seconds, 2),
            "items_per_s": round(len(backlog) / seconds, 1),
            # Where the matcher's time went: the commit holds the search (index and lists) and the write.
            "busy_s": {k[5:-2]: round(v, 2) for k, v in counters.items() if k.startswith("busy_")},
        }
        if args.scale_rank:
            ranked_at = max(await until_ranked(conn, "bench-scale", 7200), max(times.values()))
            scored = {k: v - rescored.get(k, 0.0) for k, v in scrape(ports["scorer"]).items()}
            out["ranking"]["stream"] = {
                "events": len(backlog),
                "matched_s": round(seconds, 2),
                "ranked_s": round(ranked_at - t0, 2),
                "matched_and_ranked_items_per_s": round(len(backlog) / (ranked_at - t0), 1),
                # Lists ranked again for the backlog (one list changes many times) and those whose shown rows
                # stayed as they were, so were not written.
                "lists_ranked": int(scored.get("careerrank_lists_ranked_total", 0.0)),
                "lists_unchanged": int(scored.get("careerrank_lists_unchanged_total", 0.0)),
                "busy_s": {k[5:-2]: round(v, 2) for k, v in scored.items() if k.startswith("busy_rank_")},
            }

        print("bench: scale: burst and paced", file=sys.stderr)
        t_pub = time.time()
        await publish_events(settings.amqp, burst)
        times = await wait_settled(conn, burst, 1800)
        rate = len(burst) / (max(times.values()) - t_pub)
        paced_rate = rate * args.paced_fraction
        sent = await paced_publish(settings, paced, paced_rate)  # type: ignore[arg-type]
        ptimes = await wait_settled(conn, paced, 1800)
        latest_sent = {f"{kind_of(e)}:{e.id}": sent[e.id] for e in paced}
        latency = [ptimes[key] - at for key, at in latest_sent.items()]
        out["end_to_end"] = {
            "events": len(burst),
            "events_per_s": round(rate, 1),
            "paced": {
                "events": len(paced),
                "rate_events_per_s": round(paced_rate, 1),
                "latency_s": {"p50": pct(latency, 50), "p99": pct(latency, 99), "max": pct(latency, 100)},
            },
        }
        out["rss_mb"] = {role: rss_mb(w.pid) for role, w in workers.items()}

        print("bench: scale: matcher restart", file=sys.stderr)
        stop_worker(workers.pop("matcher"))
        started_at = time.time()
        workers["matcher"] = start_worker("matcher", env["matcher"])
        out["matcher_restart_s"] = round(await wait_consuming(settings, names.matcher_queue) - started_at, 2)
        out["rss_mb"]["matcher_after_restart"] = rss_mb(workers["matcher"].pid)

        print("bench: scale: brute-force check", file=sys.stderr)
        started = time.perf_counter()
        out["check"] = await brute_force(conn, model, settings.matcher.top_k)
        out["check"]["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        await tear_down(conn, workers.values(), settings)
    return out


async def wait_embedded(conn: asyncpg.Connection, events: list[Event]) -> None:
    wanted = {e.event_id for e in events}
    deadline = time.monotonic() + 1800
    while await conn.fetchval("SELECT count(*) FROM processed_events WHERE event_id = ANY($1)", list(wanted)) < len(
        wanted
    ):
        if time.monotonic() > deadline:
            raise TimeoutError("the embedder did not work through its backlog")
        await asyncio.sleep(0.5)


async def scale_stage(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    def at(tag: str) -> Settings:
        # A database and a broker namespace of its own per phase: nothing of one phase reaches the next.
        dsn = type(settings.postgres.dsn)(settings.postgres.dsn.get_secret_value() + tag)
        return settings.model_copy(
            update={
                "postgres": settings.postgres.model_copy(update={"dsn": dsn}),
                "amqp": settings.amqp.model_copy(update={"prefix": settings.amqp.prefix + tag}),
            }
        )

    small = round(args.scale_small * 100 / 145)
    at_10k = await phase(at("_s10k"), args, small, args.scale_small - small, args.scale_small_events) if small else {}
    full = await phase(at("_s145k"), args, args.reindex_vacancies, args.reindex_resumes, args.scale_events)
    return {**full, "at_10k": at_10k} if at_10k else full
