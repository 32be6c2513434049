"""Matcher: index updates in, exact top-K lists for both directions in PostgreSQL.

Owns the two vector indexes (vacancies, resumes), rebuilt from PostgreSQL at start. Per micro-batch:
drop superseded and already-matched updates, apply the rest to the indexes, work out which lists
changed (see :mod:`careerrank.ranking`), write them and the items' ``matched_version`` in one
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

import asyncpg
import numpy as np
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from careerrank import ranking
from careerrank.metrics import PipelineMetrics
from careerrank.publishing import PUBLISHED_AT_HEADER
from careerrank.ranking import Ranked
from careerrank.storage import matches, model_state, postings
from careerrank.storage.matches import DIRECTIONS
from careerrank.storage.postings import KINDS, StoredEmbedding, opposite
from careerrank.vector_index import ItemIndex, Vectors
from schemas import IndexUpdate, Kind
from schemas.envelope import describe_errors
from workers.consumer import Messages
from workers.dead_letters import DeadLetterSink

log = logging.getLogger(__name__)

WORKER = "matcher"

T = TypeVar("T")


@dataclass
class PreparedUpdates:
    messages: Messages
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
        pool: asyncpg.Pool,
        model: str,
        top_k: int,
        dead_letters: DeadLetterSink,
        metrics: PipelineMetrics,
        executor: ThreadPoolExecutor,
        use_gpu: bool = False,
    ) -> None:
        self._pool = pool
        self._configured_model = model
        self._model = model
        self._k = top_k
        self._dead = dead_letters
        self._metrics = metrics
        self._executor = executor
        self._use_gpu = use_gpu
        self.indexes: dict[Kind, ItemIndex] | None = None
        self.model_version = f"{model}/cosine"
        self._generation: int | None = None  # of the lists the indexes' floors were read with

    async def load(self) -> None:
        """Rebuild both indexes and the list floors from PostgreSQL."""
        started = time.monotonic()
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            generation = await matches.generation(conn)
            # The last reindex's model wins over the configured one: its vectors and lists are the live ones.
            self._model = await model_state.active_model(conn) or self._configured_model
            self.model_version = f"{self._model}/cosine"
            # An item never matched yet enters when its own update (queued) is handled, as in a live stream:
            # loaded now, it would fill other lists that would all be rescored when that update comes.
            loaded = {kind: await postings.load_open_embeddings(conn, kind, self._model, True) for kind in KINDS}
            floors = {kind: await matches.list_floors(conn, kind, self._k) for kind in KINDS}
        dims = {m.shape[1] for _, _, m in loaded.values() if len(m)}
        if len(dims) > 1:
            raise RuntimeError(f"stored vectors of model {self._model!r} have different dimensions: {dims}")
        if dims:
            dim = dims.pop()
            await self._run(self._build, dim, loaded, floors)
        else:
            self.indexes = None
        self._generation = generation
        log.info(
            "index loaded",
            extra={
                "model": self._model,
                **{k: len(v[0]) for k, v in loaded.items()},
                "seconds": round(time.monotonic() - started, 3),
            },
        )

    async def reject(self, message: AbstractIncomingMessage, reason: str) -> None:
        await self._dead.send(message, "processing_error", reason)

    async def prepare(self, messages: Messages) -> PreparedUpdates:
        latest: dict[tuple[Kind, str], IndexUpdate] = {}
        published_at: dict[tuple[Kind, str], float] = {}
        for message in messages:
            try:
                update = IndexUpdate.model_validate_json(message.body)
            except ValidationError as exc:
                await self._dead.send(message, "schema_invalid", f"invalid index update: {describe_errors(exc)}")
                continue
            key = (update.kind, update.id)
            if key not in latest or update.version > latest[key].version:
                latest[key] = update
            stamp = (message.headers or {}).get(PUBLISHED_AT_HEADER)
            if isinstance(stamp, int | float):
                published_at[key] = min(float(stamp), published_at.get(key, float("inf")))
        return PreparedUpdates(messages, latest, published_at)

    async def commit(self, prepared: PreparedUpdates) -> None:
        async with self._pool.acquire() as conn:
            # Waits while a reindex holds the lists; it swaps new ones in and moves the generation on.
            await model_state.enter_list_writer(conn)
            try:
                if await matches.generation(conn) != self._generation:
                    # Someone else wrote lists since our index was built (a standby taking over, a reindex).
                    log.warning("index out of date; rebuilding from PostgreSQL", extra={"worker": WORKER})
                    await self.load()
                plan = await self._plan(conn, prepared.latest)
                try:
                    written = await self._rematch(conn, plan) if any(plan.done.values()) else {}
                except BaseException:
                    # The indexes and floors may now hold this batch while PostgreSQL does not (or does: a commit
                    # whose answer was lost). Either way they are rebuilt from PostgreSQL before the next batch,
                    # which keeps "an item in the index has its matches committed" true.
                    self._generation = None
                    raise
            finally:
                await model_state.leave_list_writer(conn)
        now = time.time()
        for kind in KINDS:
            for item_id, _ in plan.done[kind]:
                stamp = prepared.published_at.get((kind, item_id))
                if stamp is not None:
                    self._metrics.event_to_match.observe(max(0.0, now - stamp))
        for kind, count in written.items():
            self._metrics.match_rows.labels(DIRECTIONS[kind]).inc(count)

    async def _plan(self, conn: asyncpg.Connection, latest: dict[tuple[Kind, str], IndexUpdate]) -> _Plan:
        plan = _Plan()
        for kind in KINDS:
            updates = {item_id: u for (k, item_id), u in latest.items() if k == kind}
            if not updates:
                continue
            states = await postings.current_versions(conn, kind, list(updates))
            wanted: list[IndexUpdate] = []
            for item_id, update in updates.items():
                state = states.get(item_id)
                if state is None or state[0] > update.version:
                    self._metrics.events.labels(WORKER, "superseded").inc()
                elif state[2] is not None and state[2] >= update.version:
                    self._metrics.events.labels(WORKER, "duplicate").inc()
                elif (update.op == "upsert") != (state[1] == "open"):
                    self._metrics.events.labels(WORKER, "superseded").inc()
                else:
                    wanted.append(update)
            upsert_ids = [u.id for u in wanted if u.op == "upsert"]
            stored = await postings.fetch_embeddings(conn, kind, self._model, upsert_ids) if upsert_ids else {}
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
                if states[update.id][2] is not None:
                    plan.listed[kind].add(update.id)
        return plan

    async def _rematch(self, conn: asyncpg.Connection, plan: _Plan) -> dict[Kind, int]:
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
                stale[other] = await matches.lists_containing(conn, other, left)
            changed = [e.item_id for e in plan.upserts[kind] if e.item_id in plan.listed[kind]]
            if changed:
                holders = await matches.lists_containing(conn, other, changed) - stale[other]
                holding[other] = await matches.fetch_lists(conn, other, sorted(holders)) if holders else {}
        computed = await self._run(self._compute, plan, stale, holding)
        new_lists: dict[Kind, dict[str, Ranked]] = {}
        for kind in KINDS:
            full, rescored, candidates = computed[kind]
            lists = {**rescored, **full}
            if candidates:
                missing = [source for source in candidates if source not in rescored]
                old = await matches.fetch_lists(conn, kind, missing) if missing else {}
                for source, ranked in candidates.items():
                    base = rescored[source] if source in rescored else old.get(source, [])
                    lists[source] = ranking.merge(base, ranked, self._k)
            for how, count in (("full", len(full)), ("rescore", len(rescored)), ("merge", len(candidates))):
                self._metrics.lists_written.labels(DIRECTIONS[kind], how).inc(count)
            for removed in plan.removals[kind]:
                lists[removed] = []
            new_lists[kind] = lists
        written: dict[Kind, int] = {}
        with self._metrics.stage_seconds.labels(WORKER, "write").time():
            async with conn.transaction():
                for kind in KINDS:
                    written[kind] = await matches.replace_lists(conn, kind, new_lists[kind], self.model_version)
                    if plan.done[kind]:
                        await postings.mark_matched(conn, kind, plan.done[kind])
                generation = await matches.bump_generation(conn)
        self._generation = generation
        await self._run(self._set_floors, new_lists)
        for kind in KINDS:
            self._metrics.events.labels(WORKER, "applied").inc(len(plan.done[kind]))
        return written

    # --- compute thread: the only code that touches the indexes -------------------------------------

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _build(
        self,
        dim: int,
        loaded: dict[Kind, tuple[list[str], list[datetime], Vectors]],
        floors: dict[Kind, dict[str, float]],
    ) -> None:
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
            return ranking.changed_lists(
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
            self.indexes[kind].set_floors(ranking.floors_for(by_source, self._k))
