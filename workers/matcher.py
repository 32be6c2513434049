"""Matcher: index updates in, exact top-K lists for both directions in PostgreSQL.

Owns the two vector indexes (vacancies, resumes) and every list of both directions, held in memory and
rebuilt from PostgreSQL at start. Per micro-batch: drop superseded and already-matched updates, apply the rest
to the indexes and lists (see :mod:`careerrank.retrieval.incremental`), write the lists that changed and the
items' ``matched_version`` in one transaction, then ack. Index and list computation run on one dedicated
thread that owns them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from careerrank.errors import InvalidMessage, VectorsMismatch
from careerrank.list_rows import ListRows
from careerrank.messaging import published_at
from careerrank.observability import PipelineMetrics
from careerrank.retrieval import snapshot
from careerrank.retrieval.blocks import ranking_version
from careerrank.retrieval.incremental import Changes, ListState, Outcome
from careerrank.retrieval.resident import depth_for
from careerrank.storage import Database, OpenVectors, Session, StoredEmbedding
from schemas import DIRECTIONS, KINDS, IndexUpdate, Kind, Ranked
from schemas.envelope import describe_errors
from workers.handler import Decoded

log = logging.getLogger(__name__)

WORKER = "matcher"

T = TypeVar("T")


@dataclass
class PreparedUpdates:
    latest: dict[tuple[Kind, str], IndexUpdate]
    published_at: dict[tuple[Kind, str], float]


@dataclass
class _Plan:
    upserts: dict[Kind, list[StoredEmbedding]] = field(default_factory=lambda: {"vacancy": [], "resume": []})
    removals: dict[Kind, list[str]] = field(default_factory=lambda: {"vacancy": [], "resume": []})
    done: dict[Kind, list[tuple[str, datetime]]] = field(default_factory=lambda: {"vacancy": [], "resume": []})


class Matcher:
    """The matcher's batch handler and the owner of the indexes and lists."""

    def __init__(
        self,
        database: Database,
        model: str,
        top_k: int,
        metrics: PipelineMetrics,
        executor: ThreadPoolExecutor,
        use_gpu: bool = False,
        snapshot_dir: Path | None = None,
    ) -> None:
        self._database = database
        self._snapshot_dir = snapshot_dir
        self._configured_model = model
        self._model = model
        self._k = top_k
        self._metrics = metrics
        self._executor = executor
        self._use_gpu = use_gpu
        self.state: ListState | None = None
        self.model_version = ranking_version(model)
        self._generation: int | None = None  # of the lists the in-memory ones were read from

    async def load(self) -> None:
        """Rebuild both indexes and every list from PostgreSQL."""
        with _collector_paused():
            await self._load()

    async def _load(self) -> None:
        started = time.monotonic()
        async with self._database.session() as session, session.transaction(isolation="repeatable_read", readonly=True):
            generation = await session.lists.generation()
            # The last reindex's model wins over the configured one: its vectors and lists are the live ones.
            self._model = await session.models.active() or self._configured_model
            self.model_version = ranking_version(self._model)
            if self._snapshot_dir is not None:
                saved = await self._run(snapshot.load, self._snapshot_dir, self._stamp(generation), self._use_gpu)
                if saved is not None:
                    self.state, self._generation = saved, generation
                    for kind in KINDS:
                        self._metrics.index_items.labels(kind).set(len(saved.indexes[kind]))
                    log.info("index loaded from a snapshot", extra={"seconds": round(time.monotonic() - started, 3)})
                    return
            # An item never matched yet enters when its own update (queued) is handled, as in a live stream:
            # loaded now, it would fill other lists that would all be rescored when that update comes.
            loaded = {kind: await session.embeddings.load_open(kind, self._model, True) for kind in KINDS}
            # Straight after a reindex its deeper lists give every list its reserve.
            deep = await session.lists.reserves_current()
            stored = {kind: await session.lists.all(kind, with_reserve=deep) for kind in KINDS}
        dims = {v.matrix.shape[1] for v in loaded.values() if len(v.matrix)}
        if len(dims) > 1:
            raise VectorsMismatch(f"stored vectors of model {self._model!r} have different dimensions: {dims}")
        if dims:
            await self._run(self._build, dims.pop(), loaded, stored)
        else:
            self.state = None
        self._generation = generation
        log.info(
            "index loaded",
            extra={
                "model": self._model,
                **{k: len(v.ids) for k, v in loaded.items()},
                "reserves": deep,
                "seconds": round(time.monotonic() - started, 3),
            },
        )

    async def save_snapshot(self) -> None:
        """Write the in-memory state for the next start (after the drain: nothing changes it any more)."""
        if self._snapshot_dir is None or self.state is None or self._generation is None:
            return
        if any(self.state.rewrite.values()):
            # Stored lists still name items that closed: a start from this state would never write them again.
            log.info("matcher snapshot not written: stored lists wait to be written again")
            return
        started = time.monotonic()
        try:
            await self._run(snapshot.save, self.state, self._stamp(self._generation), self._snapshot_dir)
        except OSError as exc:
            log.warning("matcher snapshot not written", extra={"error": type(exc).__name__})
            return
        log.info("snapshot written", extra={"seconds": round(time.monotonic() - started, 3)})

    def _stamp(self, generation: int) -> snapshot.Stamp:
        return snapshot.Stamp(generation, self._model, self._k, depth_for(self._k))

    def decode(self, message: AbstractIncomingMessage) -> Decoded[tuple[IndexUpdate, float | None]]:
        try:
            update = IndexUpdate.model_validate_json(message.body)
        except ValidationError as exc:
            raise InvalidMessage("schema_invalid", f"invalid index update: {describe_errors(exc)}") from exc
        return Decoded((update, published_at(message)))

    async def prepare(self, batch: list[tuple[IndexUpdate, float | None]]) -> PreparedUpdates:
        latest: dict[tuple[Kind, str], IndexUpdate] = {}
        stamps: dict[tuple[Kind, str], float] = {}
        for update, stamp in batch:
            key = (update.kind, update.id)
            if key not in latest or update.version > latest[key].version:
                latest[key] = update
            if stamp is not None:
                stamps[key] = min(stamp, stamps.get(key, float("inf")))
        return PreparedUpdates(latest, stamps)

    async def commit(self, prepared: PreparedUpdates) -> None:
        async with self._database.session() as session:
            # Waits while a reindex holds the lists; it swaps new ones in and moves the generation on.
            await session.models.enter_list_writer()
            try:
                if await session.lists.generation() != self._generation:
                    # Someone else wrote lists since our index was built (a standby taking over, a reindex).
                    log.warning("index out of date; rebuilding from PostgreSQL", extra={"worker": WORKER})
                    await self.load()
                plan = await self._plan(session, prepared.latest)
                try:
                    written = await self._rematch(session, plan) if any(plan.done.values()) else {}
                except BaseException:
                    # The indexes and lists may now hold this batch while PostgreSQL does not (or does: a commit
                    # whose answer was lost). Either way they are rebuilt from PostgreSQL before the next batch,
                    # which keeps "an item in the index has its matches committed" true.
                    self._generation = None
                    raise
            finally:
                await session.models.leave_list_writer()
        now = time.time()
        for kind in KINDS:
            for item_id, _ in plan.done[kind]:
                stamp = prepared.published_at.get((kind, item_id))
                if stamp is not None:
                    self._metrics.event_to_match.observe(max(0.0, now - stamp))
        for kind, count in written.items():
            self._metrics.match_rows.labels(DIRECTIONS[kind]).inc(count)

    async def _plan(self, session: Session, latest: dict[tuple[Kind, str], IndexUpdate]) -> _Plan:
        plan = _Plan()
        for kind in KINDS:
            updates = {item_id: u for (k, item_id), u in latest.items() if k == kind}
            if not updates:
                continue
            states = await session.items.versions(kind, list(updates))
            wanted: list[IndexUpdate] = []
            for item_id, update in updates.items():
                state = states.get(item_id)
                if state is None or state.version > update.version:
                    self._metrics.events.labels(WORKER, "superseded").inc()
                elif state.matched_version is not None and state.matched_version >= update.version:
                    self._metrics.events.labels(WORKER, "duplicate").inc()
                elif (update.op == "upsert") != state.is_open:
                    self._metrics.events.labels(WORKER, "superseded").inc()
                else:
                    wanted.append(update)
            upsert_ids = [u.id for u in wanted if u.op == "upsert"]
            stored = await session.embeddings.fetch(kind, self._model, upsert_ids) if upsert_ids else {}
            for update in wanted:
                if update.op == "remove":
                    plan.removals[kind].append(update.id)
                elif (emb := stored.get(update.id)) is not None and emb.version == update.version:
                    plan.upserts[kind].append(emb)
                else:
                    # The vector moved on (or was stored under another model): a newer update will come.
                    self._metrics.events.labels(WORKER, "superseded").inc()
                    continue
                plan.done[kind].append((update.id, update.version))
        return plan

    async def _rematch(self, session: Session, plan: _Plan) -> dict[Kind, int]:
        outcome = await self._run(self._compute, plan)
        for kind in KINDS:
            for how, count in (("full", outcome.searched[kind]), ("merge", outcome.merged[kind])):
                self._metrics.lists_written.labels(DIRECTIONS[kind], how).inc(count)
        written: dict[Kind, int] = {}
        with self._metrics.stage_seconds.labels(WORKER, "write").time():
            async with session.transaction():
                for kind in KINDS:
                    written[kind] = await session.lists.replace(kind, outcome.lists[kind], self.model_version)
                    if plan.done[kind]:
                        ids, versions = zip(*plan.done[kind], strict=True)
                        await session.items.mark_matched(kind, ids, versions)
                generation = await session.lists.bump_generation()
        self._generation = generation
        for kind in KINDS:
            self._metrics.events.labels(WORKER, "applied").inc(len(plan.done[kind]))
        return written

    # --- compute thread: the only code that touches the indexes -------------------------------------

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _build(self, dim: int, loaded: dict[Kind, OpenVectors], stored: dict[Kind, dict[str, Ranked]]) -> None:
        self.state = ListState(dim, self._k, self._use_gpu)
        for kind, (ids, versions, matrix) in loaded.items():
            if ids:
                self.state.indexes[kind].upsert(ids, versions, matrix)
            self._metrics.index_items.labels(kind).set(len(ids))
        self.state.fill(stored)

    def _compute(self, plan: _Plan) -> Outcome:
        """Apply the batch to the indexes and lists; the lists to write."""
        if self.state is None:
            dim = next((len(e.vector) for kind in KINDS for e in plan.upserts[kind]), 0)
            if not dim:
                return Outcome(
                    {k: ListRows.of({item: [] for item in plan.removals[k]}) for k in KINDS},
                    dict.fromkeys(KINDS, 0),
                    dict.fromkeys(KINDS, 0),
                )
            self.state = ListState(dim, self._k, self._use_gpu)
        changes: dict[Kind, Changes] = {}
        for kind in KINDS:
            ups = plan.upserts[kind]
            vectors = np.stack([e.vector for e in ups]) if ups else None
            changes[kind] = Changes([e.item_id for e in ups], [e.version for e in ups], vectors, plan.removals[kind])
        with self._metrics.stage_seconds.labels(WORKER, "search").time():
            outcome = self.state.apply(changes)
        for kind in KINDS:
            self._metrics.index_items.labels(kind).set(len(self.state.indexes[kind]))
        return outcome


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while loading: the millions of list entries read (tuples, lists, none in a
    cycle) would be scanned again and again, for more than half of the load's time at 1M lists."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
