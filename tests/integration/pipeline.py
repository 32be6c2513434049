"""Helpers for driving the real pipeline in tests: run the workers, publish, wait, and check by brute force."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import asyncpg
import numpy as np

from careerrank.devtools.processes import WORKER_COMMAND
from careerrank.messaging import Names, publish_events, queue_stats
from careerrank.settings import Settings
from careerrank.storage import TABLES, Session
from schemas import (
    DIRECTIONS,
    KINDS,
    Closure,
    ResumeClosed,
    ResumeUpserted,
    Upsert,
    VacancyClosed,
    VacancyUpserted,
    opposite,
)
from workers import EmbedderService, MatcherService
from workers.bootstrap import build

T0 = datetime(2026, 1, 1, tzinfo=UTC)

WORDS = [
    "python",
    "java",
    "повар",
    "бухгалтер",
    "водитель",
    "docker",
    "sql",
    "продажи",
    "склад",
    "react",
    "врач",
    "учитель",
    "логистика",
    "аналитик",
    "excel",
    "1с",
    "kubernetes",
    "маркетинг",
    "юрист",
    "кассир",
]


def posting(kind: str, n: int, seed: int = 0, version: int = 0, text: str | None = None) -> Upsert:
    rng = np.random.default_rng(seed * 100_003 + n)
    words = " ".join(rng.choice(WORDS, size=8))
    cls = VacancyUpserted if kind == "vacancy" else ResumeUpserted
    return cls(
        event_id=f"{kind}-{n}-v{version}-{seed}",
        occurred_at=T0 + timedelta(seconds=version),
        id=f"{kind[0]}{n}",
        title=words.split()[0],
        text=text if text is not None else words,
        skills=list(rng.choice(WORDS, size=3)),
    )


def closure(kind: str, n: int, version: int) -> Closure:
    cls = VacancyClosed if kind == "vacancy" else ResumeClosed
    return cls(event_id=f"close-{kind}-{n}-{version}", occurred_at=T0 + timedelta(seconds=version), id=f"{kind[0]}{n}")


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment that makes a ``careerrank`` subprocess use this test's database and queues."""
    return {
        **os.environ,
        "CAREERRANK_AMQP__PREFIX": settings.amqp.prefix,
        "CAREERRANK_AMQP__DELIVERY_LIMIT": str(settings.amqp.delivery_limit),
        "CAREERRANK_AMQP__RETRY_DELAYS_S": json.dumps(settings.amqp.retry_delays_s),
        "CAREERRANK_POSTGRES__DSN": settings.postgres.dsn.get_secret_value(),
        "CAREERRANK_MODEL__NAME": settings.model.name,
        **extra,
    }


@asynccontextmanager
async def running_workers(settings: Settings) -> AsyncIterator[tuple[EmbedderService, MatcherService]]:
    embedder = build("embedder", settings)
    matcher = build("matcher", settings)
    assert isinstance(embedder, EmbedderService) and isinstance(matcher, MatcherService)
    await embedder.start()
    await matcher.start()
    try:
        yield embedder, matcher
    finally:
        await embedder.stop()
        await matcher.stop()


async def publish(settings: Settings, events: Iterable[Upsert | Closure]) -> int:
    return await publish_events(settings.amqp, list(events))


async def wait_matched(conn: asyncpg.Connection, expected: dict[str, int], timeout_s: float = 60) -> None:
    """Until each kind has ``expected`` open items whose current version is matched and nothing else pends."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = {}
        for kind in KINDS:
            got[kind] = await conn.fetchval(
                f"SELECT count(*) FROM {TABLES[kind]} WHERE status = 'open' AND matched_version = version"
            )
        if got == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"matched {got}, expected {expected}")
        await asyncio.sleep(0.2)


async def settle(conn: asyncpg.Connection, settings: Settings, timeout_s: float = 60) -> None:
    """Until both worker queues are empty and unacked counts are zero (everything published is handled)."""
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout_s
        quiet = 0
        while quiet < 3:
            stats = await queue_stats(channel, [names.embedder_queue, names.matcher_queue])
            counts = sum(messages for messages, _ in stats.values())
            quiet = quiet + 1 if counts == 0 else 0
            if time.monotonic() > deadline:
                raise AssertionError(f"queues not empty after {timeout_s} s")
            await asyncio.sleep(0.3)


async def brute_force_check(conn: asyncpg.Connection, model: str, k: int = 10) -> int:
    """Compare every stored list with an exact recomputation from the stored vectors; return lists checked."""
    checked = 0
    vectors = {kind: await Session(conn).embeddings.load_open(kind, model) for kind in KINDS}
    for kind in KINDS:
        src_ids, _, src = vectors[kind]
        tgt_ids, _, tgt = vectors[opposite(kind)]
        rows = await conn.fetch(
            "SELECT source_id, rank, target_id, score FROM matches WHERE direction = $1 ORDER BY source_id, rank",
            DIRECTIONS[kind],
        )
        stored: dict[str, list[tuple[str, float]]] = {}
        for r in rows:
            stored.setdefault(r["source_id"], []).append((r["target_id"], r["score"]))
        assert set(stored) <= set(src_ids), f"lists of unknown or closed {kind}s: {set(stored) - set(src_ids)}"
        if len(tgt_ids) == 0:
            assert not stored
            continue
        scores = src @ tgt.T
        position = {t: j for j, t in enumerate(tgt_ids)}
        for i, source in enumerate(src_ids):
            expected_n = min(k, len(tgt_ids))
            got = stored.get(source, [])
            assert len(got) == expected_n, f"{kind} {source}: {len(got)} entries, expected {expected_n}"
            exact = np.sort(scores[i])[::-1][:expected_n]
            np.testing.assert_allclose([s for _, s in got], exact, atol=1e-4, err_msg=f"{kind} {source}")
            # Same scores could still hide a wrong id; each id's stored score must be its true score.
            for target, score in got:
                j = position[target]
                assert abs(scores[i, j] - score) < 1e-4, f"{kind} {source} -> {target}: stale score"
            checked += 1
    return checked


class Workers:
    """Both workers as processes, their JSON logs in files, restartable."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self._env = process_env(
            settings,
            CAREERRANK_EMBEDDER__MAX_BATCH="64",
            CAREERRANK_MATCHER__MAX_BATCH="128",
            CAREERRANK_LOG_LEVEL="INFO",
        )
        self._logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: Counter[str] = Counter()

    def start(self, role: str) -> None:
        self.starts[role] += 1
        with (self._logs / f"{role}-{self.starts[role]}.log").open("wb") as log:
            self.procs[role] = subprocess.Popen(
                [*WORKER_COMMAND, role], env=self._env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self, role: str) -> None:
        self.procs[role].send_signal(signal.SIGKILL)
        self.procs[role].wait()

    def stop(self) -> list[int]:
        for p in self.procs.values():
            p.send_signal(signal.SIGTERM)
        return [p.wait(60) for p in self.procs.values()]

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self._logs.glob("*.log")))


@contextmanager
def running(settings: Settings, logs: Path) -> Iterator[Workers]:
    workers = Workers(settings, logs)
    workers.start("embedder")
    workers.start("matcher")
    try:
        yield workers
    finally:
        for p in workers.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
