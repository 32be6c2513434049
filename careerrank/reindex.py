"""Reindex: re-embed every open item with a model and recompute every list, in bulk, then swap atomically.

What a model change (or a change in how texts or lists are built) needs, done at full speed instead of one
event at a time:

1. *pause*: take the list-writers lock, so the matcher finishes the batch it is writing and then waits;
   events keep flowing into the queues and recruiters keep reading the current lists;
2. *snapshot*: read every open item;
3. *encode*: the texts whose vector for the model is missing or stale (all of them for a new model, or with
   ``force``), in length-sorted chunks, each written by COPY while the next one encodes;
4. *lists*: all lists of both directions from one blocked score matrix (:mod:`careerrank.bulk_lists`), written
   by COPY into ``match_lists_next``, whose indexes are built afterwards;
5. *catch-up*: items that moved on meanwhile get their vectors for the model;
6. *swap*, in one transaction: ``match_lists_next`` becomes ``match_lists``, every item is marked matched at the
   version its new list was computed from, the model becomes the active one, the matcher generation moves on.

The matcher then rebuilds its index from PostgreSQL (it sees the new generation) and works off the index
updates that queued up during the reindex: an item that changed after the snapshot is matched again, the rest
are recognised as matched. An embedder still configured for the previous model holds its batches from the
swap on (:class:`careerrank.storage.model_state.ModelMismatch`) until it is redeployed with the new one.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from tqdm import tqdm

from careerrank import bulk_lists
from careerrank.encoders import Encoder, Vectors, load_encoder, model_id
from careerrank.settings import Settings
from careerrank.storage import matches, model_state, postings
from careerrank.storage.postings import KINDS, SnapshotItem, opposite
from careerrank.texts import compose_text, text_hash
from schemas import Kind

log = logging.getLogger(__name__)

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
    model = model_id(model_settings)
    device = bulk_lists.resolve_device(settings.reindex.device)
    result = ReindexResult(model, device)
    stages = _Stages(result.stages)
    dsn = settings.postgres.dsn.get_secret_value()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reindex-compute")
    loop = asyncio.get_running_loop()
    started_at = datetime.now(UTC)
    began = time.perf_counter()
    if encoder is None:
        with stages.timed("load_model"):
            encoder = await loop.run_in_executor(executor, load_encoder, model_settings)
    if encoder.name != model:
        raise ValueError(f"encoder {encoder.name!r} is not the model being reindexed ({model!r})")
    lock_conn = await asyncpg.connect(dsn)
    conn = await asyncpg.connect(dsn)
    swapped = False
    try:
        with stages.timed("pause"):
            await model_state.hold_list_writers(lock_conn)
        log.info("reindex: list writers paused", extra={"model": model})
        with stages.timed("snapshot"):
            snapshot = {kind: await postings.open_items(conn, kind, model) for kind in KINDS}
        result.counts.update({"vacancies": len(snapshot["vacancy"]), "resumes": len(snapshot["resume"])})
        # Each text is built once: to decide whether it needs a vector, then to encode it.
        texts = [(kind, it, _text(it, settings)) for kind in KINDS for it in snapshot[kind]]
        todo = [(kind, it, text) for kind, it, text in texts if force or _needs_vector(it, text)]
        with stages.timed("encode_and_store"):
            result.counts["encoded"] = await _encode_and_store(
                conn, executor, encoder, todo, settings, stages, progress
            )
        with stages.timed("analyze"):
            # Fresh statistics after a bulk load: without them the planner takes the new vectors for a few
            # rows and joins them to the items by nested loops (minutes at the seed's scale, not milliseconds).
            await postings.analyze(conn)
        with stages.timed("load_vectors"):
            loaded = {kind: await postings.load_open_embeddings(conn, kind, model) for kind in KINDS}
        with stages.timed("lists"):
            v_top, r_top = await loop.run_in_executor(executor, _all_lists, loaded, settings, device, progress)
        with stages.timed("write_lists"):
            result.counts["match_rows"] = await _write_next(conn, loaded, v_top, r_top, model, settings)
        with stages.timed("index_lists"):
            await matches.index_next(conn)
        with stages.timed("catch_up"):
            result.counts["caught_up"] = await _catch_up(conn, executor, encoder, settings, stages)
        with stages.timed("swap"):
            async with conn.transaction():
                await model_state.lock_for_switch(conn)
                result.counts["caught_up"] += await _catch_up(conn, executor, encoder, settings, stages)
                await matches.swap_in_next(conn)
                marked = 0
                for kind in KINDS:
                    ids, versions, _ = loaded[kind]
                    marked += await postings.mark_matched_bulk(conn, kind, ids, versions)
                result.counts["marked_matched"] = marked
                await model_state.switch_active(conn, model)
                await matches.bump_generation(conn)
                result.stages["total"] = time.perf_counter() - began
                await model_state.record_reindex(conn, model, started_at, result.counts, result.stages)
            swapped = True
        await matches.drop_replaced(conn)
    finally:
        if not swapped:
            await _quietly(matches.drop_next(conn))
        await _quietly(model_state.release_list_writers(lock_conn))
        await lock_conn.close()
        await conn.close()
        executor.shutdown(wait=False, cancel_futures=True)
    result.stages["total"] = time.perf_counter() - began
    log.info("reindex: swapped in", extra={"model": model, **result.counts})
    return result


def _text(item: SnapshotItem, settings: Settings) -> str:
    return compose_text(item.title, item.skills, item.body, settings.model.max_chars)[0]


def _needs_vector(item: SnapshotItem, text: str) -> bool:
    if item.embedded_hash is None or item.embedded_version is None or item.embedded_version < item.version:
        return True
    return item.embedded_hash != text_hash(text)


async def _encode_and_store(
    conn: asyncpg.Connection,
    executor: ThreadPoolExecutor,
    encoder: Encoder,
    work: list[tuple[Kind, SnapshotItem, str]],
    settings: Settings,
    stages: _Stages,
    progress: bool,
) -> int:
    """Encode in length-sorted chunks; COPY chunk *n* while chunk *n+1* encodes. Return texts encoded."""
    work.sort(key=lambda w: len(w[2]))
    chunk = settings.reindex.encode_chunk
    loop = asyncio.get_running_loop()
    writing: asyncio.Task[None] | None = None
    bar = tqdm(total=len(work), desc="encode", unit="text", file=sys.stderr, disable=not progress)
    try:
        for start in range(0, len(work), chunk):
            part = work[start : start + chunk]

            encoding = loop.run_in_executor(executor, _timed_encode, encoder, [w[2] for w in part])
            if writing is not None:
                await writing
            vectors, busy = await encoding
            stages.into["encode_busy"] = stages.into.get("encode_busy", 0.0) + busy
            bar.update(len(part))
            writing = asyncio.create_task(_store(conn, part, vectors, encoder.name, stages))
        if writing is not None:
            await writing
    finally:
        bar.close()
    return len(work)


def _timed_encode(encoder: Encoder, texts: list[str]) -> tuple[Vectors, float]:
    started = time.perf_counter()
    return encoder.encode(texts), time.perf_counter() - started


async def _store(
    conn: asyncpg.Connection,
    part: Sequence[tuple[Kind, SnapshotItem, str]],
    vectors: Vectors,
    model: str,
    stages: _Stages,
) -> None:
    with stages.timed("store_busy"):
        async with conn.transaction():
            for kind in KINDS:
                rows = [r for r, (k, _, _) in enumerate(part) if k == kind]
                if rows:
                    items = [(part[r][1].item_id, part[r][1].version, text_hash(part[r][2])) for r in rows]
                    await postings.copy_embeddings(conn, kind, model, items, vectors[rows])


def _all_lists(
    loaded: dict[Kind, tuple[list[str], list[datetime], Vectors]], settings: Settings, device: str, progress: bool
) -> tuple[bulk_lists.TopK, bulk_lists.TopK]:
    vacancies, resumes = loaded["vacancy"][2], loaded["resume"][2]
    if len(vacancies) and len(resumes) and vacancies.shape[1] != resumes.shape[1]:
        raise RuntimeError(f"vacancy and resume vectors differ in dimension: {vacancies.shape} vs {resumes.shape}")
    with tqdm(total=len(vacancies), desc="lists", unit="row", file=sys.stderr, disable=not progress) as bar:
        return bulk_lists.top_k_both(
            vacancies,
            resumes,
            settings.matcher.top_k,
            device=device,
            block_rows=settings.reindex.block_rows,
            progress=bar.update,
        )


async def _write_next(
    conn: asyncpg.Connection,
    loaded: dict[Kind, tuple[list[str], list[datetime], Vectors]],
    v_top: bulk_lists.TopK,
    r_top: bulk_lists.TopK,
    model: str,
    settings: Settings,
) -> int:
    await matches.create_next(conn)
    model_version = f"{model}/cosine"
    written = 0
    directions: tuple[tuple[Kind, bulk_lists.TopK], ...] = (("vacancy", v_top), ("resume", r_top))
    for kind, top in directions:
        source_ids = loaded[kind][0]
        target_ids = loaded[opposite(kind)][0]
        per_copy = max(1, COPY_ROWS // max(1, top.positions.shape[1]))
        for start in range(0, len(source_ids), per_copy):
            block = bulk_lists.TopK(top.positions[start : start + per_copy], top.scores[start : start + per_copy])
            sources = source_ids[start : start + per_copy]
            lists = [
                (source, [t for t, _ in ranked], [score for _, score in ranked])
                for source, ranked in zip(sources, bulk_lists.ranked_rows(block, target_ids), strict=True)
            ]
            written += await matches.copy_into_next(conn, kind, lists, model_version)
    return written


async def _catch_up(
    conn: asyncpg.Connection, executor: ThreadPoolExecutor, encoder: Encoder, settings: Settings, stages: _Stages
) -> int:
    """Vectors for items that moved on since the snapshot (their lists follow from their queued updates)."""
    behind = {kind: await postings.unembedded_items(conn, kind, encoder.name) for kind in KINDS}
    work = [(kind, item, _text(item, settings)) for kind in KINDS for item in behind[kind]]
    if not work:
        return 0
    vectors = await asyncio.get_running_loop().run_in_executor(executor, encoder.encode, [w[2] for w in work])
    await _store(conn, work, vectors, encoder.name, stages)
    return len(work)


async def _quietly(call: Any) -> None:
    try:
        await call
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        log.warning("reindex clean-up step failed", exc_info=False)


__all__ = ["ReindexResult", "reindex"]
