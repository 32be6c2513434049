"""Top-K list maintenance: both indexes and every list in memory, kept exact batch by batch.

Invariant kept by the matcher: every stored list is the exact top-K of its source over all open items of
the opposite kind. Each list is held deeper than stored (:mod:`careerrank.retrieval.resident`); a batch
restores the invariant by
- dropping every entry of a target that left, or whose vector moved (it comes back below as a candidate,
  with its new score, wherever that still beats the list's bound);
- one matrix product per kind, ``changed items x every item of the other kind``: row ``i`` is changed item
  ``i``'s own list, column ``j`` says which changed items enter list ``j`` (those above its bound);
- a search over every target only for a list left with fewer than K entries (a reserve used up).
Pure and blocking: the matcher runs it on its compute thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import torch

from careerrank.list_rows import ListRows
from careerrank.retrieval.exact_index import ItemIndex
from careerrank.retrieval.resident import ResidentLists, Rows, depth_for
from careerrank.retrieval.screen import screened_blocks
from careerrank.vectors import Vectors
from schemas import KINDS, Kind, Ranked, opposite


@dataclass
class Changes:
    """One kind's part of a batch: vectors to add or replace, ids that left."""

    ids: list[str] = field(default_factory=list)
    versions: list[datetime] = field(default_factory=list)
    vectors: Vectors | None = None
    removed: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """Lists to write per source kind (an empty list deletes), and how each was found."""

    lists: dict[Kind, ListRows]
    searched: dict[Kind, int]
    merged: dict[Kind, int]


class ListState:
    """Both kinds' indexes and lists. Not thread-safe: one owner thread."""

    def __init__(self, dim: int, k: int, use_gpu: bool = False, depth: int | None = None) -> None:
        self.k = k
        self.depth = depth or depth_for(k)
        self.indexes: dict[Kind, ItemIndex] = {kind: ItemIndex(dim, use_gpu) for kind in KINDS}
        self.lists: dict[Kind, ResidentLists] = {kind: ResidentLists(self.depth) for kind in KINDS}
        # Sources whose stored list names a target that closed before the lists were read: the next batch
        # writes them again, whatever else it changes.
        self.rewrite: dict[Kind, set[str]] = {kind: set() for kind in KINDS}

    def fill(self, stored: Mapping[Kind, Mapping[str, Ranked]]) -> None:
        """Lists as stored, once the indexes hold the vectors they were computed from."""
        for kind in KINDS:
            targets, sources = self.indexes[opposite(kind)], self.indexes[kind]
            position = {t: p for p, t in enumerate(targets.ids)}
            stale = self.lists[kind].fill(sources.ids, stored[kind], position, self.k)
            self.rewrite[kind].update(sources.ids[row] for row in stale.tolist())

    def apply(self, changes: Mapping[Kind, Changes]) -> Outcome:
        """Apply a batch to the indexes and the lists; return the stored lists it changed."""
        dirty: dict[Kind, set[int]] = {kind: set() for kind in KINDS}
        compacted = {kind: self.indexes[kind].compact(changes[kind].removed) for kind in KINDS}
        for kind, compaction in compacted.items():
            if compaction is not None:
                self.lists[kind].move_rows(compaction)
        # Rows first, then entries: row numbers collected below are the final ones.
        for kind, compaction in compacted.items():
            if compaction is not None:
                dirty[opposite(kind)].update(self.lists[opposite(kind)].remap_targets(compaction, self.k).tolist())
        fresh: dict[Kind, npt.NDArray[np.intp]] = {}
        for kind in KINDS:
            c, index = changes[kind], self.indexes[kind]
            if c.ids and c.vectors is not None:
                existed = index.upsert(c.ids, c.versions, c.vectors)
                moved = np.zeros(len(index), dtype=bool)
                moved[[index.position_of(i) for i, e in zip(c.ids, existed, strict=True) if e]] = True
                if moved.any():
                    dirty[opposite(kind)].update(self.lists[opposite(kind)].drop_targets(moved, self.k).tolist())
            self.lists[kind].grow(len(index))
            fresh[kind] = np.unique(np.asarray([index.position_of(i) for i in c.ids], dtype=np.intp))
        candidates = {kind: self._place(kind, fresh[kind]) for kind in KINDS}
        merged: dict[Kind, int] = {}
        for kind in KINDS:
            rows, targets, scores = candidates[opposite(kind)]
            # Rows searched in full this batch already hold every target that belongs in them.
            outside = ~np.isin(rows, fresh[kind])
            entered = self.lists[kind].merge(rows[outside], targets[outside], scores[outside], self.k)
            merged[kind] = len(entered)
            dirty[kind].update(entered.tolist())
        searched: dict[Kind, int] = {}
        for kind in KINDS:
            short = self.lists[kind].short(self.k, len(self.indexes[opposite(kind)]))
            self._search(kind, short)
            searched[kind] = len(short) + len(fresh[kind])
            dirty[kind].update(short.tolist(), fresh[kind].tolist())
        out: dict[Kind, ListRows] = {}
        for kind in KINDS:
            index = self.indexes[kind]
            dirty[kind].update(p for p in map(index.position, self.rewrite[kind]) if p is not None)
            self.rewrite[kind].clear()
            ids, target_ids = index.ids, self.indexes[opposite(kind)].ids
            rows = np.asarray(sorted(dirty[kind]), dtype=np.intp)
            removed = [source for source in changes[kind].removed if source not in index]
            sources = [ids[row] for row in rows.tolist()]
            out[kind] = self.lists[kind].list_rows(rows, sources, self.k, target_ids, removed)
        return Outcome(out, searched, merged)

    def _place(self, kind: Kind, fresh: npt.NDArray[np.intp]) -> tuple[Rows, Rows, npt.NDArray[np.float32]]:
        """Own lists of ``kind``'s changed items, and the candidates they are for the other kind's lists:
        ``(list row, changed item position, score)``, each above that list's bound."""
        sources, targets = self.indexes[kind], self.indexes[opposite(kind)]
        other = self.lists[opposite(kind)]
        empty = (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.float32))
        if not len(fresh) or len(targets) == 0:
            self.lists[kind].set_rows(
                fresh, np.zeros((len(fresh), 0), np.int64), np.zeros((len(fresh), 0), np.float32), True
            )
            return empty
        top = min(self.depth, len(targets))
        found: list[tuple[Rows, Rows, npt.NDArray[np.float32]]] = []
        with torch.inference_mode():
            for block in screened_blocks(sources.vectors()[fresh], targets.screen(), top, other.bound):
                rows = fresh[block.start : block.start + len(block.scores)]
                self.lists[kind].set_rows(rows, block.positions.numpy(), block.scores.numpy(), top == len(targets))
                found.append((block.hit_targets.numpy(), rows[block.hit_rows.numpy()], block.hit_scores.numpy()))
        return tuple(np.concatenate(part) for part in zip(*found, strict=True)) if found else empty  # type: ignore[return-value]

    def _search(self, kind: Kind, rows: Rows) -> None:
        if not len(rows):
            return
        targets = self.indexes[opposite(kind)]
        if len(targets) == 0:
            self.lists[kind].set_rows(
                rows, np.zeros((len(rows), 0), np.int64), np.zeros((len(rows), 0), np.float32), True
            )
            return
        top = min(self.depth, len(targets))
        scores, positions = targets.search_positions(self.indexes[kind].vectors()[rows], top)
        self.lists[kind].set_rows(rows, positions, scores, top == len(targets))
