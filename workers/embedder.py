"""Embedder: upsert/close events in, item rows and vectors in PostgreSQL, index updates out to the matcher.

Per micro-batch: parse (invalid → dead letter), drop redeliveries and stale or superseded events,
encode only texts whose fingerprint changed (on the embedding thread), then in one transaction write
items, vectors and the processed-event log; then publish index updates with confirms; then ack.
A crash between commit and publish is healed by the redelivery: the event is recognised as processed
and the item's current state is published again. A commit retried in place (the broker or PostgreSQL went
away after, or while, the transaction committed) does the same: events it finds already processed are
announced again rather than written again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import aio_pika
import asyncpg
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from careerrank.encoders import Encoder, Vectors
from careerrank.metrics import PipelineMetrics
from careerrank.publishing import PUBLISHED_AT_HEADER, persistent_message, publish_windowed
from careerrank.settings import Settings
from careerrank.storage import model_state, postings
from careerrank.texts import embedding_text, text_hash
from careerrank.topology import INDEX_UPDATE_KEY
from schemas import Closure, IndexUpdate, InvalidEvent, Kind, Upsert, kind_of, parse_events
from workers.consumer import Messages
from workers.dead_letters import DeadLetterSink

log = logging.getLogger(__name__)

WORKER = "embedder"


@dataclass
class _KindWork:
    upserts: list[Upsert] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)
    to_encode: list[int] = field(default_factory=list)  # positions in ``upserts`` needing a new vector
    vectors: Vectors | None = None
    closures: list[Closure] = field(default_factory=list)
    published_at: dict[str, float] = field(default_factory=dict)


@dataclass
class PreparedBatch:
    messages: Messages
    work: dict[Kind, _KindWork]
    skipped: list[tuple[str, Kind, str, str]]  # (event_id, kind, item_id, outcome) decided before commit
    redelivered: dict[Kind, set[str]]  # items to re-announce: their events were committed before
    attempts: int = 0  # commit calls so far; a retry may follow a transaction that did commit

    def event_ids(self) -> list[str]:
        return [e.event_id for w in self.work.values() for e in (*w.upserts, *w.closures)]


class Embedder:
    """The embedder's batch handler (see :class:`workers.consumer.BatchConsumer`)."""

    def __init__(
        self,
        settings: Settings,
        pool: asyncpg.Pool,
        encoder: Encoder,
        internal: AbstractExchange,
        dead_letters: DeadLetterSink,
        metrics: PipelineMetrics,
        executor: ThreadPoolExecutor,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._encoder = encoder
        self._internal = internal
        self._dead = dead_letters
        self._metrics = metrics
        self._executor = executor

    async def reject(self, message: AbstractIncomingMessage, reason: str) -> None:
        await self._dead.send(message, "processing_error", reason)

    async def prepare(self, messages: Messages) -> PreparedBatch:
        events: list[tuple[Upsert | Closure, float | None]] = []
        seen: set[str] = set()
        for message in messages:
            try:
                parsed = parse_events(message.body)
            except InvalidEvent as exc:
                await self._dead.send(message, exc.code, exc.reason)
                continue
            published = _published_at(message)
            for index, event in enumerate(parsed):
                # One bad event of a batch message is dead-lettered alone; the message is acked with the batch.
                if isinstance(event, InvalidEvent):
                    await self._dead.send_part(message, index, event.code, event.reason)
                    continue
                if event.event_id in seen:
                    continue
                seen.add(event.event_id)
                events.append((event, published))

        skipped: list[tuple[str, Kind, str, str]] = []
        redelivered: dict[Kind, set[str]] = defaultdict(set)
        async with self._pool.acquire() as conn:
            done = await postings.processed_event_ids(conn, [e.event_id for e, _ in events])
            latest: dict[tuple[Kind, str], tuple[Upsert | Closure, float | None]] = {}
            for event, published in events:
                kind: Kind = kind_of(event)  # type: ignore[assignment]
                if event.event_id in done:
                    redelivered[kind].add(event.id)
                    self._metrics.events.labels(WORKER, "duplicate").inc()
                    continue
                key = (kind, event.id)
                current = latest.get(key)
                if current is None or event.occurred_at > current[0].occurred_at:
                    if current is not None:
                        skipped.append((current[0].event_id, kind, event.id, "superseded"))
                    latest[key] = (event, published)
                else:
                    skipped.append((event.event_id, kind, event.id, "superseded"))

            work: dict[Kind, _KindWork] = {"vacancy": _KindWork(), "resume": _KindWork()}
            model = self._encoder.name
            for kind in postings.KINDS:
                ids = [item_id for k, item_id in latest if k == kind]
                if not ids:
                    continue
                states = await postings.item_states(conn, kind, ids, model)
                for item_id in ids:
                    event, published = latest[(kind, item_id)]
                    state = states.get(item_id)
                    if state is not None and event.occurred_at <= state.version:
                        skipped.append((event.event_id, kind, item_id, "stale"))
                        continue
                    w = work[kind]
                    if published is not None:
                        w.published_at[item_id] = published
                    if isinstance(event, Closure):
                        w.closures.append(event)
                        continue
                    text, truncated = embedding_text(event, self._settings.model.max_chars)
                    if truncated:
                        self._metrics.texts_truncated.inc()
                    digest = text_hash(text)
                    if state is None or state.embedded_hash != digest:
                        w.to_encode.append(len(w.upserts))
                    w.upserts.append(event)
                    w.texts.append(text)
                    w.hashes.append(digest)

        texts = [w.texts[i] for w in work.values() for i in w.to_encode]
        if texts:
            loop = asyncio.get_running_loop()
            with self._metrics.stage_seconds.labels(WORKER, "encode").time():
                vectors = await loop.run_in_executor(self._executor, self._encoder.encode, texts)
            self._metrics.texts_embedded.inc(len(texts))
            offset = 0
            for w in work.values():
                w.vectors = vectors[offset : offset + len(w.to_encode)]
                offset += len(w.to_encode)
        return PreparedBatch(messages, work, skipped, redelivered)

    async def commit(self, prepared: PreparedBatch) -> None:
        model = self._encoder.name
        updates: list[IndexUpdate] = []
        published_at: dict[tuple[Kind, str], float] = {}
        processed = list(prepared.skipped)
        redelivered = {kind: set(ids) for kind, ids in prepared.redelivered.items()}
        prepared.attempts += 1
        async with self._pool.acquire() as conn, conn.transaction():
            # A reindex may have switched models: then hold the batch (nothing written) until redeployed.
            await model_state.check_active(conn, model)
            # On a retry the first attempt may have committed: its events are then announced, not rewritten.
            replayed = (
                await postings.processed_event_ids(conn, prepared.event_ids()) if prepared.attempts > 1 else set()
            )
            for kind, w in prepared.work.items():
                if w.upserts:
                    applied = await postings.upsert_items(conn, kind, w.upserts, w.hashes)
                    encoded = {pos: row for row, pos in enumerate(w.to_encode)}
                    fresh: list[tuple[str, datetime, bytes]] = []
                    kept: list[tuple[str, datetime]] = []
                    rows: list[int] = []
                    for pos, event in enumerate(w.upserts):
                        if event.event_id in replayed:
                            redelivered.setdefault(kind, set()).add(event.id)
                            continue
                        if event.id not in applied:
                            processed.append((event.event_id, kind, event.id, "stale"))
                            continue
                        processed.append((event.event_id, kind, event.id, "applied"))
                        updates.append(IndexUpdate(kind=kind, id=event.id, op="upsert", version=event.occurred_at))
                        if pos in encoded:
                            fresh.append((event.id, event.occurred_at, w.hashes[pos]))
                            rows.append(encoded[pos])
                        else:
                            kept.append((event.id, event.occurred_at))
                    if fresh:
                        assert w.vectors is not None
                        await postings.copy_embeddings(conn, kind, model, fresh, w.vectors[rows])
                    await postings.bump_embedding_versions(conn, kind, model, kept)
                if w.closures:
                    closed = await postings.close_items(conn, kind, w.closures)
                    for closure in w.closures:
                        if closure.event_id in replayed:
                            redelivered.setdefault(kind, set()).add(closure.id)
                            continue
                        outcome = "applied" if closure.id in closed else "stale"
                        processed.append((closure.event_id, kind, closure.id, outcome))
                        if closure.id in closed:
                            updates.append(
                                IndexUpdate(kind=kind, id=closure.id, op="remove", version=closure.occurred_at)
                            )
                published_at.update({(kind, i): t for i, t in w.published_at.items()})
            for kind, ids in redelivered.items():
                updates.extend(await _current_updates(conn, kind, ids))
            await postings.record_processed(conn, processed)

        with self._metrics.stage_seconds.labels(WORKER, "publish").time():
            await publish_windowed(
                self._internal,
                ((INDEX_UPDATE_KEY, _update_message(u, published_at.get((u.kind, u.id)))) for u in updates),
                self._settings.amqp.publish_window,
            )
        for _, _, _, outcome in processed:
            self._metrics.events.labels(WORKER, outcome).inc()


async def _current_updates(conn: asyncpg.Connection, kind: Kind, ids: set[str]) -> list[IndexUpdate]:
    states = await postings.current_versions(conn, kind, sorted(ids))
    return [
        IndexUpdate(kind=kind, id=item_id, op="upsert" if status == "open" else "remove", version=version)
        for item_id, (version, status, _) in states.items()
    ]


def _update_message(update: IndexUpdate, published_at: float | None) -> aio_pika.Message:
    # Carry the original event's publish time so the matcher can measure event-to-match latency.
    headers = {PUBLISHED_AT_HEADER: published_at} if published_at is not None else None
    return persistent_message(update.model_dump_json().encode(), headers, message_id=f"{update.kind}:{update.id}")


def _published_at(message: AbstractIncomingMessage) -> float | None:
    value = (message.headers or {}).get(PUBLISHED_AT_HEADER)
    return float(value) if isinstance(value, int | float) else None
