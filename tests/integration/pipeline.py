"""Helpers for driving the real pipeline in tests: run the workers, publish, wait, and check by brute force."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aio_pika
import asyncpg
import numpy as np

from careerrank.devtools.processes import WORKER_COMMAND
from careerrank.encoding import Encoder, build_encoder, compose_text, embedding_text, parse_model_name, text_hash
from careerrank.messaging import Names, publish_events, queue_stats
from careerrank.settings import ModelSettings, Settings
from careerrank.storage import TABLES
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
        "CAREERRANK_AMQP__SUSPECT_AFTER": str(settings.amqp.suspect_after),
        "CAREERRANK_AMQP__CRASH_LIMIT": str(settings.amqp.crash_limit),
        "CAREERRANK_AMQP__RETRY_DELAYS_S": json.dumps(settings.amqp.retry_delays_s),
        "CAREERRANK_POSTGRES__DSN": settings.postgres.dsn.get_secret_value(),
        "CAREERRANK_MODEL__NAME": settings.model.name,
        "CAREERRANK_MATCHER__TOP_K": str(settings.matcher.top_k),
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


# Asks the broker itself for each quorum queue's live counts. ``rabbitmqctl list_queues`` and the management
# API report the statistics the broker emits every few seconds (5 s by default), so they read "0 unacked"
# while a batch is still in hand; the quorum queue's own state machine is exact at the moment it is asked.
_QUEUE_COUNTS = """
[case rabbit_amqqueue:lookup(rabbit_misc:r(<<"{vhost}">>, queue, Name)) of
     {{ok, Q}} ->
         {{ok, {{_, O}}, _}} = ra:local_query(amqqueue:get_pid(Q), fun rabbit_fifo:overview/1),
         {{Name, maps:get(num_ready_messages, O), maps:get(num_checked_out, O)}};
     _ -> {{Name, missing}}
 end || Name <- [{names}]].
"""
_COUNT = re.compile(r'\{<<"([^"]+)">>,(\d+),(\d+)\}')
_SAFE_NAME = re.compile(r"[A-Za-z0-9._/-]+")


def broker_counts(settings: Settings, queues: list[str]) -> dict[str, tuple[int, int]]:
    """``queue -> (ready, unacked)`` of quorum queues, live, through ``rabbitmqctl eval``.

    ``CAREERRANK_TEST_RABBITMQCTL`` names the command when the broker runs elsewhere (e.g.
    ``docker compose exec -T rabbitmq rabbitmqctl``); by default the local ``rabbitmqctl`` (the integration
    tests' broker is the local one that ``careerrank.devtools`` starts and stops with it).
    """
    vhost = unquote(urlsplit(settings.amqp.url.get_secret_value()).path[1:]) or "/"
    for name in (vhost, *queues):
        assert _SAFE_NAME.fullmatch(name), f"unexpected character in {name!r}"
    names = ",".join(f'<<"{q}">>' for q in queues)
    command = [*shlex.split(os.environ.get("CAREERRANK_TEST_RABBITMQCTL", "rabbitmqctl")), "eval"]
    try:
        done = subprocess.run(
            [*command, _QUEUE_COUNTS.format(vhost=vhost, names=names)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AssertionError(f"cannot ask the broker for unacked counts ({command[0]}): {exc}") from exc
    counts = {m[1]: (int(m[2]), int(m[3])) for m in _COUNT.finditer(done.stdout)}
    if done.returncode != 0 or set(counts) != set(queues):
        raise AssertionError(f"rabbitmqctl eval: rc {done.returncode}, {done.stdout.strip()} {done.stderr.strip()}")
    return counts


async def settle(conn: asyncpg.Connection, settings: Settings, timeout_s: float = 60, quiet_polls: int = 3) -> None:
    """Until nothing is in flight: both worker queues (and the queue of what the broker dead-lettered by
    itself, which the workers record) hold no ready and no unacked message and every retry queue is empty,
    for ``quiet_polls`` polls in a row.

    Ready counts alone say nothing of a batch a worker holds unacked, nor of a message parked in a retry
    queue until its delay is up; a "nothing more happened" check read then can pass before the work ends.
    Unacked counts come from the quorum queues' state (:func:`broker_counts`); a cheap passive declaration
    first skips the slower broker query while messages are still waiting. Consecutive polls cover the hand-offs
    between queues (an embedder acks only after its index updates are confirmed in the matcher's queue, and a
    retry queue moves an expired message back to its worker queue on its own).
    """
    names = Names.of(settings.amqp)
    workers = [names.embedder_queue, names.matcher_queue]
    # The workers also consume what the broker dead-letters by itself, to record it.
    queues = [*workers, names.unrecorded_queue, *(r for q in workers for r in names.retry_queues(q))]
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout_s
        quiet = 0
        last: dict[str, tuple[int, int]] = {}
        while quiet < quiet_polls:
            if time.monotonic() > deadline:
                raise AssertionError(f"still in flight after {timeout_s} s (queue: (ready, unacked)): {last}")
            ready = await queue_stats(channel, queues)
            if any(messages for messages, _ in ready.values()):
                last = {q: (messages, -1) for q, (messages, _) in ready.items() if messages}
                quiet = 0
            else:
                counts = await asyncio.to_thread(broker_counts, settings, queues)
                last = {q: c for q, c in counts.items() if any(c)}
                quiet = 0 if last else quiet + 1
            await asyncio.sleep(0.2)


@cache
def oracle_encoder(model: str) -> Encoder:
    """The encoder the workers build for ``model``, built again here and kept for the session."""
    return build_encoder(parse_model_name(model), ModelSettings(name=model))


async def brute_force_check(
    conn: asyncpg.Connection, model: str, k: int = 10, *, max_chars: int | None = None, atol: float | None = None
) -> int:
    """Check the stored vectors and lists against the items' current texts; return the lists checked.

    Each open item's text is rebuilt from its row as the embedder builds it, and encoded here: every open item
    must have a vector for ``model`` at its version, equal to the encoding of its own text (a vector written
    under another item, or left from an old text, fails here however well the lists agree with it). Then
    every list must be the exact top-``k`` over those vectors. ``atol``: how close a stored vector must be
    to the one encoded here (bit-for-bit encoders by default; a neural encoder batches differently here).
    """
    encoder = oracle_encoder(model)
    max_chars = ModelSettings().max_chars if max_chars is None else max_chars
    if atol is None:
        atol = 1e-6 if parse_model_name(model).kind == "hashing" else 2e-3
    vectors: dict[str, tuple[list[str], np.ndarray]] = {}
    for kind in KINDS:
        rows = await conn.fetch(
            f"""SELECT t.id, t.version, t.title, t.body, t.skills, e.version AS embedded_version,
                       e.text_hash, e.dim, e.vector
                  FROM {TABLES[kind]} t
                  LEFT JOIN embeddings e ON e.kind = $1 AND e.item_id = t.id AND e.model = $2
                 WHERE t.status = 'open'
                 ORDER BY t.id""",
            kind,
            model,
        )
        ids = [r["id"] for r in rows]
        missing = [r["id"] for r in rows if r["vector"] is None]
        assert not missing, f"open {kind}s without a {model} vector: {missing[:10]}"
        behind = [r["id"] for r in rows if r["embedded_version"] != r["version"]]
        assert not behind, f"{kind}s whose vector is not at the item's version: {behind[:10]}"
        texts = [compose_text(r["title"], list(r["skills"]), r["body"], max_chars)[0] for r in rows]
        wrong_hash = [r["id"] for r, t in zip(rows, texts, strict=True) if bytes(r["text_hash"]) != text_hash(t)]
        assert not wrong_hash, f"{kind}s whose vector's text hash is not of their text: {wrong_hash[:10]}"
        stored = (
            np.stack([np.frombuffer(r["vector"], dtype="<f4") for r in rows]).astype(np.float32)
            if rows
            else np.zeros((0, 0), np.float32)
        )
        if rows:
            expected = encoder.encode(texts)
            off = [i for i, (a, b) in enumerate(zip(stored, expected, strict=True)) if not np.allclose(a, b, atol=atol)]
            assert not off, f"{kind}s whose vector is not the encoding of their text: {[ids[i] for i in off[:10]]}"
        vectors[kind] = (ids, stored)

    checked = 0
    for kind in KINDS:
        src_ids, src = vectors[kind]
        tgt_ids, tgt = vectors[opposite(kind)]
        rows = await conn.fetch(
            "SELECT source_id, rank, target_id, score FROM matches WHERE direction = $1 ORDER BY source_id, rank",
            DIRECTIONS[kind],
        )
        lists: dict[str, list[tuple[str, float]]] = {}
        for r in rows:
            lists.setdefault(r["source_id"], []).append((r["target_id"], r["score"]))
        assert set(lists) <= set(src_ids), f"lists of unknown or closed {kind}s: {set(lists) - set(src_ids)}"
        if len(tgt_ids) == 0:
            assert not lists
            continue
        # Over the stored vectors, now known to be the items' own: the lists were computed from those.
        scores = src @ tgt.T
        position = {t: j for j, t in enumerate(tgt_ids)}
        for i, source in enumerate(src_ids):
            expected_n = min(k, len(tgt_ids))
            got = lists.get(source, [])
            assert len(got) == expected_n, f"{kind} {source}: {len(got)} entries, expected {expected_n}"
            exact = np.sort(scores[i])[::-1][:expected_n]
            np.testing.assert_allclose([s for _, s in got], exact, atol=1e-4, err_msg=f"{kind} {source}")
            # Same scores could still hide a wrong id; each id's stored score must be its true score.
            for target, score in got:
                assert target in position, f"{kind} {source} -> {target}: not an open item"
                j = position[target]
                assert abs(scores[i, j] - score) < 1e-4, f"{kind} {source} -> {target}: stale score"
            checked += 1
    return checked


def encoded(model: str, event: Upsert, max_chars: int | None = None) -> np.ndarray:
    """The vector the embedder must store for ``event``'s text (for tests that check one item)."""
    text, _ = embedding_text(event, ModelSettings().max_chars if max_chars is None else max_chars)
    vector: np.ndarray = oracle_encoder(model).encode([text])[0]
    return vector


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
def running(settings: Settings, logs: Path, roles: tuple[str, ...] = ("embedder", "matcher")) -> Iterator[Workers]:
    workers = Workers(settings, logs)
    for role in roles:
        workers.start(role)
    try:
        yield workers
    finally:
        for p in workers.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
