"""Embedder: upsert/close events in, item rows and vectors in PostgreSQL, index updates out to the matcher.

Per micro-batch: decode (invalid → dead letter), drop redeliveries and stale or superseded events, encode
only texts whose fingerprint changed (on the embedding thread), then in one transaction write items, vectors
and the processed-event log; then publish index updates with confirms; then ack.
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
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from careerrank.encoding import Encoder, embedding_text, text_hash
from careerrank.messaging import (
    INDEX_UPDATE_KEY,
    PUBLISHED_AT_HEADER,
    Names,
    persistent_message,
    publish_windowed,
    published_at,
)
from careerrank.observability import PipelineMetrics
from careerrank.settings import Settings
from careerrank.storage import Database, Session
from careerrank.storage.event_log import Outcome
from careerrank.vectors import Vectors
from schemas import KINDS, POSTINGS, Closure, IndexUpdate, Kind, Upsert, kind_of
from workers.handler import Decoded, decode_events, elements_of

log = logging.getLogger(__name__)

WORKER = "embedder"

Processed = tuple[str, Kind, str, Outcome]  # (event_id, kind, item_id, outcome)


@dataclass(frozen=True, slots=True)
class EventsMessage:
    """The valid events of one message, and when the producer published it (for event-to-match latency)."""

    events: list[Upsert | Closure]
    published_at: float | None


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
class _Written:
    """What a commit decided: the index updates to announce, the events to log, the items to re-announce."""

    updates: list[IndexUpdate]
    processed: list[Processed]
    redelivered: dict[Kind, set[str]]


@dataclass
class PreparedBatch:
    work: dict[Kind, _KindWork]
    skipped: list[Processed]  # decided before commit
    redelivered: dict[Kind, set[str]]  # items to re-announce: their events were committed before
    attempts: int = 0  # commit calls so far; a retry may follow a transaction that did commit

    def event_ids(self) -> list[str]:
        return [e.event_id for w in self.work.values() for e in (*w.upserts, *w.closures)]


class Embedder:
    """The embedder's batch handler (see :class:`workers.consumer.BatchConsumer`)."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        encoder: Encoder,
        internal: AbstractExchange,
        metrics: PipelineMetrics,
        executor: ThreadPoolExecutor,
    ) -> None:
        self._settings = settings
        self._database = database
        self._encoder = encoder
        self._internal = internal
        self._metrics = metrics
        self._executor = executor
        self._events_exchange = Names.of(settings.amqp).events

    def decode(self, message: AbstractIncomingMessage) -> Decoded[EventsMessage]:
        events, rejected = decode_events(
            message, self._events_exchange, self._settings.embedder.max_clock_skew_s, POSTINGS
        )
        at = published_at(message)
        split = elements_of(events, lambda some: EventsMessage(some, at))
        return Decoded(EventsMessage([event for _, event in events], at), rejected, split)

    async def prepare(self, batch: list[EventsMessage]) -> PreparedBatch:
        events: list[tuple[Upsert | Closure, float | None]] = []
        seen: set[str] = set()
        for message in batch:
            for event in message.events:
                if event.event_id not in seen:
                    seen.add(event.event_id)
                    events.append((event, message.published_at))

        skipped: list[Processed] = []
        redelivered: dict[Kind, set[str]] = defaultdict(set)
        work: dict[Kind, _KindWork] = {"vacancy": _KindWork(), "resume": _KindWork()}
        async with self._database.session() as session:
            done = await session.events.processed([e.event_id for e, _ in events])
            latest: dict[tuple[Kind, str], tuple[Upsert | Closure, float | None]] = {}
            for event, published in events:
                kind = kind_of(event)
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
            for kind in KINDS:
                ids = [item_id for k, item_id in latest if k == kind]
                if ids:
                    await self._plan_kind(session, kind, ids, latest, work[kind], skipped)

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
        return PreparedBatch(work, skipped, redelivered)

    async def _plan_kind(
        self,
        session: Session,
        kind: Kind,
        ids: list[str],
        latest: dict[tuple[Kind, str], tuple[Upsert | Closure, float | None]],
        work: _KindWork,
        skipped: list[Processed],
    ) -> None:
        """Sort the newest event of each item into closures, upserts and texts to encode, or stale."""
        states = await session.items.states(kind, ids, self._encoder.name)
        for item_id in ids:
            event, published = latest[(kind, item_id)]
            state = states.get(item_id)
            if state is not None and event.occurred_at <= state.version:
                skipped.append((event.event_id, kind, item_id, "stale"))
                continue
            if published is not None:
                work.published_at[item_id] = published
            if isinstance(event, Closure):
                work.closures.append(event)
                continue
            text, truncated = embedding_text(event, self._settings.model.max_chars)
            if truncated:
                self._metrics.texts_truncated.inc()
            digest = text_hash(text)
            if state is None or state.embedded_hash != digest:
                work.to_encode.append(len(work.upserts))
            work.upserts.append(event)
            work.texts.append(text)
            work.hashes.append(digest)

    async def commit(self, prepared: PreparedBatch) -> None:
        published_at: dict[tuple[Kind, str], float] = {}
        written = _Written([], list(prepared.skipped), {k: set(ids) for k, ids in prepared.redelivered.items()})
        prepared.attempts += 1
        async with self._database.transaction() as session:
            # A reindex may have switched models: then hold the batch (nothing written) until redeployed.
            await session.models.check_active(self._encoder.name)
            # On a retry the first attempt may have committed: its events are then announced, not rewritten.
            replayed = await session.events.processed(prepared.event_ids()) if prepared.attempts > 1 else set()
            for kind, w in prepared.work.items():
                if w.upserts:
                    await self._write_upserts(session, kind, w, replayed, written)
                if w.closures:
                    await self._write_closures(session, kind, w, replayed, written)
                published_at.update({(kind, i): t for i, t in w.published_at.items()})
            for kind, ids in written.redelivered.items():
                written.updates.extend(await _current_updates(session, kind, ids))
            await session.events.record(written.processed)

        with self._metrics.stage_seconds.labels(WORKER, "publish").time():
            await publish_windowed(
                self._internal,
                ((INDEX_UPDATE_KEY, _update_message(u, published_at.get((u.kind, u.id)))) for u in written.updates),
                self._settings.amqp.publish_window,
            )
        for _, _, _, outcome in written.processed:
            self._metrics.events.labels(WORKER, outcome).inc()

    async def _write_upserts(
        self, session: Session, kind: Kind, w: _KindWork, replayed: set[str], written: _Written
    ) -> None:
        model = self._encoder.name
        applied = await session.items.upsert(kind, w.upserts, w.hashes)
        encoded = {pos: row for row, pos in enumerate(w.to_encode)}
        fresh: list[tuple[str, datetime, bytes]] = []
        kept: list[tuple[str, datetime]] = []
        rows: list[int] = []
        for pos, event in enumerate(w.upserts):
            if event.event_id in replayed:
                written.redelivered.setdefault(kind, set()).add(event.id)
                continue
            if event.id not in applied:
                written.processed.append((event.event_id, kind, event.id, "stale"))
                continue
            written.processed.append((event.event_id, kind, event.id, "applied"))
            written.updates.append(IndexUpdate(kind=kind, id=event.id, op="upsert", version=event.occurred_at))
            if pos in encoded:
                fresh.append((event.id, event.occurred_at, w.hashes[pos]))
                rows.append(encoded[pos])
            else:
                kept.append((event.id, event.occurred_at))
        if fresh:
            assert w.vectors is not None
            await session.embeddings.copy(kind, model, fresh, w.vectors[rows])
        await session.embeddings.bump_versions(kind, model, kept)

    async def _write_closures(
        self, session: Session, kind: Kind, w: _KindWork, replayed: set[str], written: _Written
    ) -> None:
        closed = await session.items.close(kind, w.closures)
        await session.embeddings.drop_older(kind, [c.id for c in w.closures], [c.occurred_at for c in w.closures])
        for closure in w.closures:
            if closure.event_id in replayed:
                written.redelivered.setdefault(kind, set()).add(closure.id)
                continue
            outcome: Outcome = "applied" if closure.id in closed else "stale"
            written.processed.append((closure.event_id, kind, closure.id, outcome))
            if closure.id in closed:
                written.updates.append(IndexUpdate(kind=kind, id=closure.id, op="remove", version=closure.occurred_at))


async def _current_updates(session: Session, kind: Kind, ids: set[str]) -> list[IndexUpdate]:
    states = await session.items.versions(kind, sorted(ids))
    return [
        IndexUpdate(kind=kind, id=item_id, op="upsert" if state.is_open else "remove", version=state.version)
        for item_id, state in states.items()
    ]


def _update_message(update: IndexUpdate, published_at: float | None) -> aio_pika.Message:
    # Carry the original event's publish time so the matcher can measure event-to-match latency.
    headers = {PUBLISHED_AT_HEADER: published_at} if published_at is not None else None
    return persistent_message(update.model_dump_json().encode(), headers, message_id=f"{update.kind}:{update.id}")
