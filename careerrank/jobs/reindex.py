"""Reindex: re-embed every open item with a model and recompute every list, in bulk, then swap atomically.

What a model change (or a change in how texts or lists are built) needs, done at full speed instead of one
event at a time:

1. *pause*: take the list-writers lock, so the matcher finishes the batch it is writing and then waits;
   events keep flowing into the queues and recruiters keep reading the current lists;
2. *snapshot*: read every open item;
3. *encode*: the texts whose vector for the model is missing or stale (all of them for a new model, or with
   ``force``), in length-sorted chunks, each written by COPY while the next one encodes;
4. *lists*: all lists of both directions from one blocked score matrix (:mod:`careerrank.retrieval.all_pairs`), written
   by COPY into ``match_lists_next``, whose indexes are built afterwards, and as deep as the matcher holds them
   into ``list_reserves``, so that the matcher starts with every list's reserve;
5. *catch-up*: items that moved on meanwhile get their vectors for the model;
6. *swap*, in one transaction: ``match_lists_next`` becomes ``match_lists``, every item is marked matched at the
   version its new list was computed from, the model becomes the active one, the matcher generation moves on
   and the reserves are the current ones (until the next list written).

The matcher then rebuilds its index from PostgreSQL (it sees the new generation) and works off the index
updates that queued up during the reindex: an item that changed after the snapshot is matched again, the rest
are recognised as matched. An embedder still configured for the previous model holds its batches from the
swap on (:class:`careerrank.errors.ModelMismatch`) until it is redeployed with the new one.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
from tqdm import tqdm

from careerrank.encoding import Encoder, compose_text, load_encoder, model_id, text_hash
from careerrank.errors import VectorsMismatch, suppressed
from careerrank.list_rows import ListRows
from careerrank.retrieval.all_pairs import TopK, resolve_device, top_k_both
from careerrank.retrieval.blocks import ranking_version
from careerrank.retrieval.resident import depth_for
from careerrank.settings import Settings
from careerrank.storage import OpenVectors, Session, SnapshotItem, connected
from careerrank.vectors import Vectors
from schemas import KINDS, Kind, opposite

log = logging.getLogger(__name__)

T = TypeVar("T")

# List entries per COPY call: bounds the records held in memory at once.
COPY_ROWS = 200_000


@dataclass
class ReindexResult:
    model: str
    device: str
    counts: dict[str, int] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        encode_s = self.stages.get("encode_busy", 0.0)
        return {
            "model": self.model,
            "device": self.device,
            "counts": self.counts,
            "stages_s": {k: round(v, 3) for k, v in self.stages.items()},
            "encode_texts_per_s": round(self.counts.get("encoded", 0) / encode_s, 1) if encode_s else None,
        }


class _Stages:
    def __init__(self, into: dict[str, float]) -> None:
        self.into = into

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.into[name] = self.into.get(name, 0.0) + time.perf_counter() - started


async def reindex(
    settings: Settings,
    model_name: str | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    encoder: Encoder | None = None,
) -> ReindexResult:
    """Rebuild every vector (for ``model_name``, default the configured model) and every list; swap them in."""
    model_settings = settings.model if model_name is None else settings.model.model_copy(update={"name": model_name})
    model = model_id(model_settings.name)
    result = ReindexResult(model, resolve_device(settings.reindex.device))
    stages = _Stages(result.stages)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reindex-compute")
    started_at, began = datetime.now(UTC), time.perf_counter()
    try:
        if encoder is None:
            with stages.timed("load_model"):
                encoder = await asyncio.get_running_loop().run_in_executor(executor, load_encoder, model_settings)
        if encoder.name != model:
            raise VectorsMismatch(f"encoder {encoder.name!r} is not the model being reindexed ({model!r})")
        job = _Reindex(settings, encoder, executor, result, stages, started_at, began, force, progress)
        dsn = settings.postgres.dsn.get_secret_value()
        async with connected(dsn) as lock, connected(dsn) as session:
            await job.run(lock, session)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    result.stages["total"] = time.perf_counter() - began
    log.info("reindex: swapped in", extra={"model": model, **result.counts})
    return result


@dataclass
class _Reindex:
    """One run: the stages in order, on a session of its own and a second one that holds the pause."""

    settings: Settings
    encoder: Encoder
    executor: ThreadPoolExecutor
    result: ReindexResult
    stages: _Stages
    started_at: datetime
    began: float
    force: bool
    progress: bool

    @property
    def model(self) -> str:
        return self.encoder.name

    async def run(self, lock: Session, session: Session) -> None:
        counts, stages = self.result.counts, self.stages
        swapped = False
        try:
            with stages.timed("pause"):
                await lock.models.hold_list_writers()
            log.info("reindex: list writers paused", extra={"model": self.model})
            with stages.timed("snapshot"):
                snapshot = {kind: await session.items.open_snapshot(kind, self.model) for kind in KINDS}
            counts.update({"vacancies": len(snapshot["vacancy"]), "resumes": len(snapshot["resume"])})
            # Each text is built once: to decide whether it needs a vector, then to encode it.
            texts = [(kind, it, self._text(it)) for kind in KINDS for it in snapshot[kind]]
            todo = [(kind, it, text) for kind, it, text in texts if self.force or _needs_vector(it, text)]
            with stages.timed("encode_and_store"):
                counts["encoded"] = await self._encode_and_store(session, todo)
            with stages.timed("analyze"):
                # Fresh statistics after a bulk load: without them the planner takes the new vectors for a few
                # rows and joins them to the items by nested loops (minutes at scale, not milliseconds).
                await session.items.analyze()
            with stages.timed("load_vectors"):
                loaded = {kind: await session.embeddings.load_open(kind, self.model) for kind in KINDS}
            with stages.timed("lists"):
                v_top, r_top = await self._in_thread(self._all_lists, loaded)
            with stages.timed("write_lists"):
                counts["match_rows"] = await self._write_next(session, loaded, v_top, r_top)
            with stages.timed("index_lists"):
                await session.lists.index_next()
            with stages.timed("catch_up"):
                counts["caught_up"] = await self._catch_up(session)
            with stages.timed("swap"):
                await self._swap(session, loaded)
            swapped = True
            await session.lists.drop_replaced()
        finally:
            if not swapped:
                await suppressed(session.lists.drop_next(), "reindex clean-up: dropping the unfinished lists")
            await suppressed(lock.models.release_list_writers(), "reindex clean-up: releasing the list writers")

    async def _swap(self, session: Session, loaded: dict[Kind, OpenVectors]) -> None:
        """One transaction: the new lists replace the old, items are marked matched at the versions the lists
        were computed from, the model becomes the active one, the matcher generation moves on."""
        counts = self.result.counts
        async with session.transaction():
            await session.models.lock_for_switch()
            counts["caught_up"] += await self._catch_up(session)
            await session.lists.swap_in_next()
            marked = 0
            for kind in KINDS:
                ids, versions, _ = loaded[kind]
                marked += await session.items.mark_matched(kind, ids, versions)
            counts["marked_matched"] = marked
            await session.models.switch_active(self.model)
            await session.lists.bump_generation()
            await session.lists.mark_reserves_current()
            self.result.stages["total"] = time.perf_counter() - self.began
            await session.models.record_reindex(self.model, self.started_at, counts, self.result.stages)

    def _text(self, item: SnapshotItem) -> str:
        return compose_text(item.title, item.skills, item.body, self.settings.model.max_chars)[0]

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def _encode_and_store(self, session: Session, work: list[tuple[Kind, SnapshotItem, str]]) -> int:
        """Encode in length-sorted chunks; COPY chunk *n* while chunk *n+1* encodes. Return texts encoded."""
        work.sort(key=lambda w: len(w[2]))
        chunk = self.settings.reindex.encode_chunk
        writing: asyncio.Task[None] | None = None
        bar = tqdm(total=len(work), desc="encode", unit="text", file=sys.stderr, disable=not self.progress)
        try:
            for start in range(0, len(work), chunk):
                part = work[start : start + chunk]
                encoding = self._in_thread(_timed_encode, self.encoder, [w[2] for w in part])
                if writing is not None:
                    await writing
                vectors, busy = await encoding
                self.stages.into["encode_busy"] = self.stages.into.get("encode_busy", 0.0) + busy
                bar.update(len(part))
                writing = asyncio.create_task(self._store(session, part, vectors))
            if writing is not None:
                await writing
        finally:
            bar.close()
        return len(work)

    async def _store(self, session: Session, part: Sequence[tuple[Kind, SnapshotItem, str]], vectors: Vectors) -> None:
        with self.stages.timed("store_busy"):
            async with session.transaction():
                for kind in KINDS:
                    rows = [r for r, (k, _, _) in enumerate(part) if k == kind]
                    if rows:
                        items = [(part[r][1].item_id, part[r][1].version, text_hash(part[r][2])) for r in rows]
                        await session.embeddings.copy(kind, self.model, items, vectors[rows])

    def _all_lists(self, loaded: dict[Kind, OpenVectors]) -> tuple[TopK, TopK]:
        vacancies, resumes = loaded["vacancy"].matrix, loaded["resume"].matrix
        if len(vacancies) and len(resumes) and vacancies.shape[1] != resumes.shape[1]:
            raise VectorsMismatch(
                f"vacancy and resume vectors differ in dimension: {vacancies.shape} vs {resumes.shape}"
            )
        disable = not self.progress
        with tqdm(total=len(vacancies), desc="lists", unit="row", file=sys.stderr, disable=disable) as bar:
            return top_k_both(
                vacancies,
                resumes,
                depth_for(self.settings.matcher.top_k),
                device=self.result.device,
                block_rows=self.settings.reindex.block_rows,
                progress=bar.update,
            )

    async def _write_next(self, session: Session, loaded: dict[Kind, OpenVectors], v_top: TopK, r_top: TopK) -> int:
        """The lists (``k`` deep) beside the live ones, and the reserves (as deep as the matcher holds them)."""
        await session.lists.create_next()
        await session.lists.clear_reserves()
        version = ranking_version(self.model)
        k = self.settings.matcher.top_k
        written = 0
        directions: tuple[tuple[Kind, TopK], ...] = (("vacancy", v_top), ("resume", r_top))
        for kind, top in directions:
            source_ids, target_ids = loaded[kind].ids, loaded[opposite(kind)].ids
            per_copy = max(1, COPY_ROWS // max(1, top.positions.shape[1]))
            for start in range(0, len(source_ids), per_copy):
                positions, scores = top.positions[start : start + per_copy], top.scores[start : start + per_copy]
                lengths = np.full(len(positions), positions.shape[1])
                sources = source_ids[start : start + per_copy]
                deep = ListRows.best_first(sources, positions, scores, lengths, target_ids)
                lists = [(source, deep[source][:k]) for source in deep.sources]
                written += await session.lists.copy_into_next(kind, lists, version)
                await session.lists.copy_reserves(kind, deep)
        return written

    async def _catch_up(self, session: Session) -> int:
        """Vectors for items that moved on since the snapshot (their lists follow from their queued updates)."""
        behind = {kind: await session.items.unembedded(kind, self.model) for kind in KINDS}
        work = [(kind, item, self._text(item)) for kind in KINDS for item in behind[kind]]
        if not work:
            return 0
        vectors = await self._in_thread(self.encoder.encode, [w[2] for w in work])
        await self._store(session, work, vectors)
        return len(work)


def _needs_vector(item: SnapshotItem, text: str) -> bool:
    if item.embedded_hash is None or item.embedded_version is None or item.embedded_version < item.version:
        return True
    return item.embedded_hash != text_hash(text)


def _timed_encode(encoder: Encoder, texts: list[str]) -> tuple[Vectors, float]:
    started = time.perf_counter()
    return encoder.encode(texts), time.perf_counter() - started


__all__ = ["ReindexResult", "reindex"]
