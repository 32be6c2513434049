#!/usr/bin/env python3
"""The HTTP API under load: JSON out (also written to ``results/api/bench.json`` unless ``--out`` says where).

    .venv/bin/python scripts/bench_api.py                      # the seed's scale: 100,000 vacancies + 45,000 resumes
    .venv/bin/python scripts/bench_api.py --reuse              # the database of an earlier run, if it matches
    .venv/bin/python scripts/bench_api.py --vacancies 5000 --resumes 2250 --duration 5    # a quick run

1. *world*: a database of its own at the asked scale, every vacancy and resume with its ranked list (see
   ``bench_api_world``: synthetic postings, ``reindex`` with ``hashing-256``, the scorer's ranking), vacancies
   spread over ``--employers`` employers; kept for ``--reuse``;
2. *server*: ``careerrank api`` with ``--workers`` processes (2), as deployed, until ``/readyz`` answers;
3. *matches*: wrk (``--threads`` 2, ``--connections`` 64, ``--duration`` 20 s) on
   ``GET /v1/vacancies/{id}/matches`` of random vacancies with a job board's key; then a recruiter's key on
   random vacancies of its own employer; then with ``If-None-Match`` of each list's current ``ETag`` (304s);
4. *ingest*: wrk posting events of the synthetic generator with unique event ids, one per request to
   ``/v1/events``, then ``--batch`` (100) per request to ``/v1/events/batch``; every 202 means RabbitMQ confirmed
   the events. The bench's broker namespace is its own (a fresh prefix per run); its queues are purged after
   each run and deleted at the end, so nothing is left for other runs.
Requests/s and latencies are wrk's; status classes and events accepted are the API's own counters (/metrics).
wrk, the API and PostgreSQL share the machine's cores: the numbers are of that whole system.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api_load import counters, delta, ingest_script, reads_script, wrk
from bench_api_world import bench_settings, build, built

from careerrank import Names, Session, Settings, delete_topology, generate, start_worker, stop_worker

ROOT = Path(__file__).resolve().parents[1]
BARS = {"matches_requests_per_s": 1500, "matches_p99_ms": 50, "ingest_events_per_s": 2000}


def log(message: str) -> None:
    print(f"bench_api: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def wait_ready(base: str, server: Any, timeout_s: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if server.poll() is not None:
            raise RuntimeError(f"careerrank api exited with {server.returncode}")
        try:
            if get(f"{base}/readyz")[0] == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("careerrank api did not become ready")


async def purge(settings: Settings, delete: bool = False) -> int:
    """Empty (or delete) every queue of the bench's broker namespace; return the messages dropped."""
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    dropped = 0
    async with connection:
        channel = await connection.channel()
        for name in names.all_queues():
            try:
                queue = await channel.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                channel = await connection.channel()
                continue
            dropped += int(queue.declaration_result.message_count or 0)
            await queue.purge()
        if delete:
            await delete_topology(channel, names)
    return dropped


async def keys_and_ids(dsn: str, rng: random.Random) -> dict[str, Any]:
    """Keys for the run (named ``bench-api``, deleted at the end), the vacancies with a list, and one
    employer's vacancies with a list (an employer of median size)."""
    conn = await asyncpg.connect(dsn)
    try:
        session = Session(conn)
        await conn.execute("DELETE FROM api_keys WHERE name = 'bench-api'")
        ids = [r["source_id"] for r in await conn.fetch(
            "SELECT source_id FROM ranked_lists WHERE direction = 'vacancy_to_resume' ORDER BY source_id")]  # fmt: skip
        employers = await conn.fetch(
            """SELECT v.employer_id, array_agg(v.id ORDER BY v.id) AS ids FROM vacancies v JOIN ranked_lists r
                 ON r.direction = 'vacancy_to_resume' AND r.source_id = v.id GROUP BY v.employer_id
                ORDER BY count(*), v.employer_id"""
        )
        employer = employers[len(employers) // 2]
        _, job_board = await session.api_keys.create("job_board", None, "bench-api")
        _, recruiter = await session.api_keys.create("recruiter", employer["employer_id"], "bench-api")
    finally:
        await conn.close()
    return {"job_board": job_board, "recruiter": recruiter, "employer": employer["employer_id"],
            "vacancies": ids, "own": list(employer["ids"]), "sample": rng.sample(ids, min(len(ids), 2000))}  # fmt: skip


async def drop_keys(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM api_keys WHERE name = 'bench-api'")
    finally:
        await conn.close()


def templates(n: int, seed: int) -> list[str]:
    """Event JSON of the synthetic generator without ``event_id`` and the opening brace (the Lua adds both)."""
    vacancies = round(n * 100 / 145)
    out = []
    for event, _ in generate(vacancies, n - vacancies, seed=seed):
        body = event.model_dump(mode="json", exclude_none=True)
        body.pop("event_id")
        out.append(json.dumps(body, ensure_ascii=False)[1:])
    return out


def load(args: argparse.Namespace, base: str, world: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Every wrk run against the started server."""
    runs: dict[str, Any] = {}
    shape = {"connections": args.connections, "threads": args.threads}

    def run(name: str, script: str, route: str, seconds: float) -> dict[str, Any]:
        log(f"{name}: {seconds:.0f} s")
        before = counters(base)
        result = wrk(base, script, folder, name, seconds=seconds, **shape)
        result.update(delta(before, counters(base), route))
        runs[name] = result
        return result

    matches = "/v1/vacancies/{vacancy_id}/matches"
    paths = [f"/v1/vacancies/{i}/matches" for i in world["vacancies"]]
    run("matches_job_board", reads_script(world["job_board"], paths), matches, args.duration)
    own = [f"/v1/vacancies/{i}/matches" for i in world["own"]]
    run("matches_recruiter", reads_script(world["recruiter"], own), matches, args.duration)
    runs["matches_recruiter"]["vacancies_of_the_employer"] = len(own)
    sampled = [f"/v1/vacancies/{i}/matches" for i in world["sample"]]
    etags = [get(base + p, {"Authorization": f"Bearer {world['job_board']}"})[1]["etag"] for p in sampled]
    cached = run("matches_if_none_match", reads_script(world["job_board"], sampled, etags), matches, args.duration)
    cached["non_304"] = sum(n for status, n in cached["statuses"].items() if status != "3xx")

    events = templates(500, args.seed + 1)
    for name, route, per_request in (
        ("ingest_single", "/v1/events", 1),
        ("ingest_batch", "/v1/events/batch", args.batch),
    ):
        script = ingest_script(world["job_board"], f"bench-{uuid.uuid4().hex[:8]}", events, per_request)
        result = run(name, script, route, args.ingest_duration)
        result["events_per_request"] = per_request
        result["events_per_s"] = round(result["events_accepted"] / result["duration_s"], 1)
        result["messages_purged"] = asyncio.run(purge(args.settings))
    return runs


def verdict(runs: dict[str, Any]) -> dict[str, Any]:
    jb = runs["matches_job_board"]
    ingest = max(runs["ingest_single"]["events_per_s"], runs["ingest_batch"]["events_per_s"])
    return {
        "matches_job_board": {
            "requests_per_s": f">= {BARS['matches_requests_per_s']}",
            "p99_ms": f"<= {BARS['matches_p99_ms']}",
            "met": jb["requests_per_s"] >= BARS["matches_requests_per_s"]
            and jb["latency_ms"]["p99"] <= BARS["matches_p99_ms"],
        },
        "ingest": {
            "events_per_s": f">= {BARS['ingest_events_per_s']}",
            "met_single": runs["ingest_single"]["events_per_s"] >= BARS["ingest_events_per_s"],
            "met_batch": runs["ingest_batch"]["events_per_s"] >= BARS["ingest_events_per_s"],
            "met": ingest >= BARS["ingest_events_per_s"],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vacancies", type=int, default=100_000)
    parser.add_argument("--resumes", type=int, default=45_000)
    parser.add_argument("--employers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reuse", action="store_true", help="use the database of an earlier run if it matches")
    parser.add_argument("--rank", choices=("scorer", "sql"), default="scorer", help="how lists are ranked")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each matches run")
    parser.add_argument("--ingest-duration", type=float, default=10.0, help="seconds of each ingest run")
    parser.add_argument("--batch", type=int, default=100, help="events per /v1/events/batch request")
    parser.add_argument(
        "--postgres", default=os.environ.get("CAREERRANK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "api" / "bench.json")
    args = parser.parse_args()

    wanted = {"vacancies": args.vacancies, "resumes": args.resumes, "employers": args.employers, "seed": args.seed}
    dsn = f"{args.postgres}/careerrank_bench_api_{args.vacancies}_{args.resumes}"
    args.settings = bench_settings(dsn, f"crbench-api-{uuid.uuid4().hex[:8]}")
    out: dict[str, Any] = {
        "benchmark": "careerrank-api",
        "scale": wanted,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out["machine"] = {"cores": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    if args.reuse and (earlier := asyncio.run(built(dsn, wanted))) is not None:
        log(f"reusing {dsn.rsplit('/', 1)[1]}")
        out["world"] = {"reused": True, **earlier}
    else:
        out["world"] = {"reused": False, **asyncio.run(build(args.settings, wanted, args.rank, log))}
    world = asyncio.run(keys_and_ids(dsn, random.Random(args.seed)))
    out["world"].update({"vacancies_with_lists": len(world["vacancies"]), "recruiter_employer": world["employer"]})

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "CAREERRANK_API__HOST": "127.0.0.1",
        "CAREERRANK_API__PORT": str(port),
        "CAREERRANK_API__WORKERS": str(args.workers),
        "CAREERRANK_POSTGRES__DSN": dsn,
        "CAREERRANK_AMQP__PREFIX": args.settings.amqp.prefix,
    }
    log(f"careerrank api: {args.workers} workers on port {port}")
    server = start_worker("api", env)
    try:
        out["server"] = {"workers": args.workers, "ready_s": round(wait_ready(base, server), 2)}
        with tempfile.TemporaryDirectory(prefix="careerrank-bench-api-") as folder:
            out["runs"] = load(args, base, world, Path(folder))
        out["bars"] = verdict(out["runs"])
    finally:
        stop_worker(server)
        asyncio.run(purge(args.settings, delete=True))
        asyncio.run(drop_keys(dsn))
    text = json.dumps(out, indent=2, ensure_ascii=False)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
