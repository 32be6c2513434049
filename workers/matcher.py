"""Matcher: index updates in, exact top-K lists for both directions in PostgreSQL.

Owns the two vector indexes (vacancies, resumes), rebuilt from PostgreSQL at start. Per micro-batch:
drop superseded and already-matched updates, apply the rest to the indexes, work out which lists
changed (see :mod:`careerrank.retrieval.incremental`), write them and the items' ``matched_version`` in one
transaction, then ack. Index and list computation run on one dedicated thread that owns the indexes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import numpy as np
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from careerrank.errors import InvalidMessage, VectorsMismatch
from careerrank.messaging import published_at
from careerrank.observability import PipelineMetrics
from careerrank.retrieval import incremental
from careerrank.retrieval.blocks import ranking_version
from careerrank.retrieval.exact_index import ItemIndex
from careerrank.storage import Database, OpenVectors, Session, StoredEmbedding
from schemas import DIRECTIONS, KINDS, IndexUpdate, Kind, Ranked, opposite
from schemas.envelope import describe_errors
from workers.consumer import Decoded

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
    # Items matched at some version before this batch: only those can be held in other lists. An item enters
    # the index (and so other lists) in the transaction that first marks it matched.
    listed: dict[Kind, set[str]] = field(default_factory=lambda: {"vacancy": set(), "resume": set()})


class Matcher:
    """The matcher's batch handler and the owner of the indexes."""

    def __init__(
        self,
        database: Database,
        model: str,
        top_k: int,
        metrics: PipelineMetrics,
        executor: ThreadPoolExecutor,
        use_gpu: bool = False,
    ) -> None:
        self._database = database
        self._configured_model = model
        self._model = model
        self._k = top_k
        self._metrics = metrics
        self._executor = executor
        self._use_gpu = use_gpu
        self.indexes: dict[Kind, ItemIndex] | None = None
        self.model_version = ranking_version(model)
        self._generation: int | None = None  # of the lists the indexes' floors were read with

    async def load(self) -> None:
        """Rebuild both indexes and the list floors from PostgreSQL."""
        started = time.monotonic()
        async with self._database.session() as session, session.transaction(isolation="repeatable_read", readonly=True):
            generation = await session.lists.generation()
            # The last reindex's model wins over the configured one: its vectors and lists are the live ones.
            self._model = await session.models.active() or self._configured_model
            self.model_version = ranking_version(self._model)
            # An item never matched yet enters when its own update (queued) is handled, as in a live stream:
            # loaded now, it would fill other lists that would all be rescored when that update comes.
            loaded = {kind: await session.embeddings.load_open(kind, self._model, True) for kind in KINDS}
            floors = {kind: await session.lists.floors(kind, self._k) for kind in KINDS}
        dims = {v.matrix.shape[1] for v in loaded.values() if len(v.matrix)}
        if len(dims) > 1:
            raise VectorsMismatch(f"stored vectors of model {self._model!r} have different dimensions: {dims}")
        if dims:
            await self._run(self._build, dims.pop(), loaded, floors)
        else:
            self.indexes = None
        self._generation = generation
        log.info(
            "index loaded",
            extra={
                "model": self._model,
                **{k: len(v.ids) for k, v in loaded.items()},
                "seconds": round(time.monotonic() - started, 3),
            },
        )

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
                    # The indexes and floors may now hold this batch while PostgreSQL does not (or does: a commit
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
                if states[update.id].matched_version is not None:
                    plan.listed[kind].add(update.id)
        return plan

    async def _rematch(self, session: Session, plan: _Plan) -> dict[Kind, int]:
        await self._run(self._apply, plan)
        # Lists holding a target that left are searched again; lists holding one that moved are rescored (or
        # searched again where it fell below their floor). Every upserted item matched before is looked up, not
        # only those the index held: after a restart the index is rebuilt from the stored vectors, so an item
        # closed and re-opened with a new text is "new" to the index while lists still hold its old score.
        stale: dict[Kind, set[str]] = {"vacancy": set(), "resume": set()}
        holding: dict[Kind, dict[str, Ranked]] = {"vacancy": {}, "resume": {}}
        for kind in KINDS:
            other = opposite(kind)
            left = [i for i in plan.removals[kind] if i in plan.listed[kind]]
            if left:
                stale[other] = await session.lists.containing(other, left)
            changed = [e.item_id for e in plan.upserts[kind] if e.item_id in plan.listed[kind]]
            if changed:
                holders = await session.lists.containing(other, changed) - stale[other]
                holding[other] = await session.lists.fetch(other, sorted(holders)) if holders else {}
        computed = await self._run(self._compute, plan, stale, holding)
        new_lists: dict[Kind, dict[str, Ranked]] = {}
        for kind in KINDS:
            full, rescored, candidates = computed[kind]
            lists = {**rescored, **full}
            if candidates:
                missing = [source for source in candidates if source not in rescored]
                old = await session.lists.fetch(kind, missing) if missing else {}
                for source, ranked in candidates.items():
                    base = rescored[source] if source in rescored else old.get(source, [])
                    lists[source] = incremental.merge(base, ranked, self._k)
            for how, count in (("full", len(full)), ("rescore", len(rescored)), ("merge", len(candidates))):
                self._metrics.lists_written.labels(DIRECTIONS[kind], how).inc(count)
            for removed in plan.removals[kind]:
                lists[removed] = []
            new_lists[kind] = lists
        written: dict[Kind, int] = {}
        with self._metrics.stage_seconds.labels(WORKER, "write").time():
            async with session.transaction():
                for kind in KINDS:
                    written[kind] = await session.lists.replace(kind, new_lists[kind], self.model_version)
                    if plan.done[kind]:
                        ids, versions = zip(*plan.done[kind], strict=True)
                        await session.items.mark_matched(kind, ids, versions)
                generation = await session.lists.bump_generation()
        self._generation = generation
        await self._run(self._set_floors, new_lists)
        for kind in KINDS:
            self._metrics.events.labels(WORKER, "applied").inc(len(plan.done[kind]))
        return written

    # --- compute thread: the only code that touches the indexes -------------------------------------

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _build(self, dim: int, loaded: dict[Kind, OpenVectors], floors: dict[Kind, dict[str, float]]) -> None:
        self.indexes = {kind: ItemIndex(dim, self._use_gpu) for kind in KINDS}
        for kind, (ids, versions, matrix) in loaded.items():
            if ids:
                self.indexes[kind].upsert(ids, versions, matrix)
            self.indexes[kind].set_floors(floors[kind])
            self._metrics.index_items.labels(kind).set(len(self.indexes[kind]))

    def _apply(self, plan: _Plan) -> None:
        """Mutate the indexes."""
        if self.indexes is None:
            dim = next(len(e.vector) for kind in KINDS for e in plan.upserts[kind]) if any(plan.upserts.values()) else 0
            if not dim:
                return
            self.indexes = {kind: ItemIndex(dim, self._use_gpu) for kind in KINDS}
        for kind in KINDS:
            index = self.indexes[kind]
            index.remove(plan.removals[kind])
            ups = plan.upserts[kind]
            if ups:
                index.upsert([e.item_id for e in ups], [e.version for e in ups], np.stack([e.vector for e in ups]))
            self._metrics.index_items.labels(kind).set(len(index))

    def _compute(
        self, plan: _Plan, stale: dict[Kind, set[str]], holding: dict[Kind, dict[str, Ranked]]
    ) -> dict[Kind, tuple[dict[str, Ranked], dict[str, Ranked], dict[str, Ranked]]]:
        """Per source kind: lists searched in full, lists rescored in place, and entering candidates."""
        if self.indexes is None:
            return {"vacancy": ({}, {}, {}), "resume": ({}, {}, {})}
        with self._metrics.stage_seconds.labels(WORKER, "search").time():
            return incremental.changed_lists(
                self.indexes,
                {kind: [e.item_id for e in plan.upserts[kind]] for kind in KINDS},
                plan.removals,
                stale,
                holding,
                self._k,
            )

    def _set_floors(self, lists: dict[Kind, dict[str, Ranked]]) -> None:
        if self.indexes is None:
            return
        for kind, by_source in lists.items():
            self.indexes[kind].set_floors(incremental.floors_for(by_source, self._k))
