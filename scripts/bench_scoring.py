"""The ``scoring`` stage of ``scripts/bench``: the learned scorer through the real RabbitMQ and PostgreSQL.

In a throw-away database and broker namespace, with the embedder, the matcher (``--scoring-k`` candidates per
list) and the scorer as processes:
1. simulated postings and the simulated recruiters' feedback streamed in, every item matched, every list ranked
   by cosine (no model yet);
2. ``careerrank scorer train`` on that feedback (seconds, held-out metrics) and activation;
3. the full rescore that follows: every list ranked again under the model (lists/s) and every application;
4. a backlog of new applications published (``--scoring-per-message`` per message), timed from the first
   publish until the last is scored by the model: applications/s end to end;
5. ``--scoring-stream`` new postings streamed in: items/s until matched, and until every list they changed is
   ranked by the model again (the matcher and the ranking together).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import timedelta
from typing import Any

import asyncpg
from bench import free_port, tear_down, wait_consuming
from pydantic import SecretStr

from careerrank import (
    Names,
    Settings,
    activate_scoring_model,
    apply_migrations,
    connect_broker,
    ensure_database,
    generate,
    publish_events,
    simulate,
    start_worker,
    train_scoring_model,
)
from schemas import ApplicationSubmitted, FeedbackRecorded

ROLES = ("embedder", "matcher", "scorer")


async def until(conn: asyncpg.Connection, query: str, expected: int, timeout_s: float, *args: Any) -> float:
    deadline = time.monotonic() + timeout_s
    while (await conn.fetchval(query, *args)) != expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{query}: not {expected} after {timeout_s} s")
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def scoring_stage(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    dsn = settings.postgres.dsn.get_secret_value() + "_scoring"
    postgres = settings.postgres.model_copy(update={"dsn": SecretStr(dsn)})
    settings = settings.model_copy(update={"postgres": postgres})
    prefix = settings.amqp.prefix + "-scoring"
    settings = settings.model_copy(update={"amqp": settings.amqp.model_copy(update={"prefix": prefix})})
    await ensure_database(dsn)
    apply_migrations(dsn)
    conn = await asyncpg.connect(dsn)
    workers: dict[str, Any] = {}
    out: dict[str, Any] = {"vacancies": args.scoring_vacancies, "resumes": args.scoring_resumes, "k": args.scoring_k}
    try:
        env = {
            role: {
                "CAREERRANK_WORKER__METRICS_PORT": str(free_port()),
                "CAREERRANK_POSTGRES__DSN": dsn,
                "CAREERRANK_AMQP__PREFIX": prefix,
                "CAREERRANK_MATCHER__TOP_K": str(args.scoring_k),
            }
            for role in ROLES
        }
        broker = await connect_broker(settings.amqp, prefetch=1)  # declares the topology before anyone waits on it
        await broker.connection.close()
        for role in ROLES:
            workers[role] = start_worker(role, env[role])
        for queue in (Names.of(settings.amqp).matcher_queue, Names.of(settings.amqp).scorer_queue):
            await wait_consuming(settings, queue)
        sim = simulate(args.seed, args.scoring_vacancies, args.scoring_resumes)
        feedback = [e for e in sim.scoring_events if isinstance(e, FeedbackRecorded)]
        applications = [e for e in sim.scoring_events if not isinstance(e, FeedbackRecorded)]
        print(
            f"bench: scoring: {len(sim.postings)} postings, {len(sim.scoring_events)} scoring events", file=sys.stderr
        )
        started = time.perf_counter()
        await publish_events(settings.amqp, sim.postings, per_message=100)
        await publish_events(settings.amqp, sim.scoring_events, per_message=100)
        await until(conn, "SELECT count(*) FROM feedback", len(feedback), 600)
        await until(
            conn,
            "SELECT (SELECT count(*) FROM vacancies WHERE matched_version = version)"
            " + (SELECT count(*) FROM resumes WHERE matched_version = version)",
            len(sim.postings),
            1800,
        )
        await until(conn, "SELECT count(*) FROM list_changes", 0, 1800)
        out["load_s"] = round(time.perf_counter() - started, 1)
        out["lists"] = await conn.fetchval("SELECT count(*) FROM match_lists")

        print("bench: scoring: train and activate", file=sys.stderr)
        started = time.perf_counter()
        report = await train_scoring_model(settings, "bench", recall=0.9, use_filter=True, activate=False)
        out["train"] = {
            "seconds": round(time.perf_counter() - started, 1),
            "decisions": report["data"]["usable"],
            "held_out": report["metrics"]["held_out"],
            "cosine_alone": report["metrics"]["cosine_alone"],
            "without_filter": report["metrics"]["without_filter"],
        }
        started = time.perf_counter()
        await activate_scoring_model(settings, "bench")
        lists = out["lists"]
        ranked = "SELECT count(*) FROM ranked_lists WHERE model_version = 'bench'"
        done = await until(conn, ranked, lists, 3600)
        open_apps = await conn.fetchval("SELECT count(*) FROM applications WHERE status = 'open'")
        apps_done = await until(
            conn, "SELECT count(*) FROM applications WHERE status = 'open' AND model_version = 'bench'", open_apps, 3600
        )
        seconds = done - started
        out["full_rescore"] = {
            "lists": lists,
            "lists_s": round(seconds, 1),
            "lists_per_s": round(lists / seconds, 1),
            "applications": open_apps,
            "all_done_s": round(max(done, apps_done) - started, 1),
        }

        print("bench: scoring: applications backlog", file=sys.stderr)
        vacancy_ids = [e.id for e in sim.postings if e.type == "vacancy.upserted"]
        resume_ids = [e.id for e in sim.postings if e.type == "resume.upserted"]
        taken = {(a.vacancy_id, a.resume_id) for a in applications}
        rng = random.Random(args.seed)
        at = max(e.occurred_at for e in sim.scoring_events) + timedelta(days=1)
        fresh: list[ApplicationSubmitted] = []
        while len(fresh) < args.scoring_applications:
            pair = (rng.choice(vacancy_ids), rng.choice(resume_ids))
            if pair not in taken:
                taken.add(pair)
                fresh.append(
                    ApplicationSubmitted(
                        event_id=f"bench-app-{len(fresh)}",
                        occurred_at=at + timedelta(milliseconds=len(fresh)),
                        vacancy_id=pair[0],
                        resume_id=pair[1],
                    )
                )
        query = "SELECT count(*) FROM applications WHERE model_version = 'bench' AND scored_at IS NOT NULL"
        before = await conn.fetchval(query)
        started = time.perf_counter()
        await publish_events(settings.amqp, fresh, per_message=args.scoring_per_message)
        published = time.perf_counter()
        done = await until(conn, query, before + len(fresh), 1800)
        out["applications"] = {
            "events": len(fresh),
            "per_message": args.scoring_per_message,
            "publish_s": round(published - started, 2),
            "seconds": round(done - started, 2),
            "scored_per_s": round(len(fresh) / (done - started), 1),
        }

        print("bench: scoring: new postings streamed through the matcher and the ranking", file=sys.stderr)
        fresh_postings = [
            e for e, _ in generate(args.scoring_stream * 3 // 4, args.scoring_stream // 4, seed=args.seed + 100)
        ]
        matched = (
            "SELECT (SELECT count(*) FROM vacancies WHERE matched_version = version)"
            " + (SELECT count(*) FROM resumes WHERE matched_version = version)"
        )
        before = await conn.fetchval(matched)
        started = time.perf_counter()
        await publish_events(settings.amqp, fresh_postings, per_message=50)
        matched_at = await until(conn, matched, before + len(fresh_postings), 1800)
        ranked_at = await until(conn, "SELECT count(*) FROM list_changes", 0, 1800)
        ranked_at = max(ranked_at, matched_at)
        out["stream"] = {
            "items": len(fresh_postings),
            "items_at_start": before,
            "matched_s": round(matched_at - started, 2),
            "matched_per_s": round(len(fresh_postings) / (matched_at - started), 1),
            "ranked_s": round(ranked_at - started, 2),
            "matched_and_ranked_per_s": round(len(fresh_postings) / (ranked_at - started), 1),
            "lists_ranked": await conn.fetchval("SELECT count(*) FROM ranked_lists WHERE model_version = 'bench'"),
        }
    finally:
        await tear_down(conn, workers.values(), settings)
    return out
