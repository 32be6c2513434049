"""The main job end to end on the bundled SuperJob sample: what ``scripts/demo`` runs.

Migrates, starts both workers as separate processes, publishes the sample, waits until every open item
has its matches committed, prints a summary and a few example lists, and stops the workers with SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aio_pika
import asyncpg

from careerrank.commands import migrate, publish_files
from careerrank.settings import Settings
from careerrank.storage import matches
from careerrank.storage.postings import KINDS, TABLES
from careerrank.topology import Names, queue_stats
from schemas import Kind
from workers.connections import connect_broker

SUPERJOB_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "superjob"


def start_worker(role: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # Workers log JSON lines for machines; in an interactive run only their warnings are worth showing.
    quiet = {"CAREERRANK_LOG_LEVEL": os.environ.get("CAREERRANK_LOG_LEVEL", "WARNING")}
    return subprocess.Popen([sys.executable, "-m", "careerrank", role], env={**os.environ, **quiet, **(env or {})})


def stop_worker(process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


async def wait_for_consumers(settings: Settings, timeout_s: float = 300.0) -> None:
    """Until the embedder and matcher queues each have a consumer (the model is loaded, the index built)."""
    broker = await connect_broker(settings, prefetch=1)  # declares the topology if nobody has yet
    await broker.connection.close()
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout_s
        while True:
            stats = await queue_stats(channel, [names.embedder_queue, names.matcher_queue])
            if all(consumers for _, consumers in stats.values()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers did not start consuming within {timeout_s:.0f} s: {stats}")
            await asyncio.sleep(0.5)


async def wait_until_matched(conn: asyncpg.Connection, expected: int, timeout_s: float) -> float:
    """Until ``expected`` open items have matches for their current version; return the seconds waited."""
    started = time.monotonic()
    while True:
        done = 0
        for kind in KINDS:
            done += await conn.fetchval(
                f"SELECT count(*) FROM {TABLES[kind]} WHERE status = 'open' AND matched_version = version"
            )
        if done >= expected:
            return time.monotonic() - started
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"only {done} of {expected} items matched after {timeout_s:.0f} s")
        await asyncio.sleep(0.5)


async def run_demo(settings: Settings, data_dir: Path = SUPERJOB_DIR) -> int:
    files = [data_dir / "vacancies.csv", data_dir / "resumes.csv"]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"sample data not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    applied = await migrate(settings)
    print(f"database ready ({applied} migration(s) applied)")
    workers = [start_worker("embedder"), start_worker("matcher")]
    try:
        await wait_for_consumers(settings)
        print("workers up; publishing the SuperJob sample")
        started = time.monotonic()
        summary = await publish_files(settings, files, kind=None, limit=None, skip_invalid=True)
        published = sum(f["published"] for f in summary["files"])
        conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value())
        try:
            expected = 0
            for kind in KINDS:
                expected += await conn.fetchval(f"SELECT count(*) FROM {TABLES[kind]} WHERE status = 'open'") or 0
            expected = max(expected, published)
            await wait_until_matched(conn, expected, timeout_s=1800)
            elapsed = time.monotonic() - started
            await _report(conn, published, elapsed)
        finally:
            await conn.close()
    finally:
        codes = [stop_worker(w) for w in workers]
        print(f"workers stopped (exit codes {codes})")
    return 0 if all(c == 0 for c in codes) else 1


async def _report(conn: asyncpg.Connection, published: int, elapsed: float) -> None:
    counts = {k: await conn.fetchval(f"SELECT count(*) FROM {TABLES[k]} WHERE status = 'open'") for k in KINDS}
    rows = await conn.fetchval("SELECT count(*) FROM matches")
    dead = await conn.fetchval("SELECT count(*) FROM dead_letters")
    print()
    print(
        f"published {published} events; {counts['vacancy']} vacancies and {counts['resume']} resumes matched "
        f"in {elapsed:.1f} s ({published / elapsed:.1f} events/s); {rows} match rows; {dead} dead letters"
    )
    examples: tuple[tuple[Kind, int], ...] = (("vacancy", 3), ("resume", 2))
    for kind, limit in examples:
        sample = await conn.fetch(
            f"SELECT id, title FROM {TABLES[kind]} WHERE status = 'open' ORDER BY id LIMIT $1", limit
        )
        for row in sample:
            print(f"\n{kind} {row['id']}: {row['title'][:80]}")
            for m in (await matches.read_list(conn, kind, row["id"]))[:5]:
                print(f"  {m.rank:>2}. {m.score:5.3f}  {m.target_id:<18} {(m.title or '')[:70]}")
