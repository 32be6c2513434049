"""Every list of one direction, held in memory deeper than it is stored.

Row ``i`` belongs to source ``i`` of the source index: up to ``depth`` target positions with their scores,
best first, and a ``bound``: no target outside the row scores above it (``-inf`` while the row holds every
target). The stored list is the row's first ``k`` entries. The entries past ``k`` are a reserve: a row that
loses a target (closed, or moved below the bound) stays exact over the rest, and only a row left with fewer
than ``k`` entries needs a search over every target again. Without the reserve every such loss costs a
search; with it a search is rare, and the matrix product a batch pays for is the one that places its new items.
Numpy rows, no per-entry objects: a million lists are a few hundred megabytes, and every step is vectorised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from careerrank.list_rows import ListRows
from careerrank.retrieval.exact_index import Compaction
from schemas import Ranked

Rows = npt.NDArray[np.intp]
_T = TypeVar("_T", bound=np.generic)


def depth_for(k: int) -> int:
    """Entries held per list: ``k`` stored ones and a reserve as deep again (at least 10)."""
    return k + max(k, 10)


class ResidentLists:
    """The lists of one source kind over the targets of the other. One owner thread.

    The four arrays are views of buffers with room to grow: a batch that adds a few sources, or moves a few
    rows into the holes of removed ones, touches those rows only."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._n = 0
        self._pos: npt.NDArray[np.int32] = np.full((0, depth), -1, dtype=np.int32)
        self._score: npt.NDArray[np.float32] = np.full((0, depth), -np.inf, dtype=np.float32)
        self._length: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._bound: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)

    def __len__(self) -> int:
        return self._n

    @property
    def pos(self) -> npt.NDArray[np.int32]:
        return self._pos[: self._n]

    @property
    def score(self) -> npt.NDArray[np.float32]:
        return self._score[: self._n]

    @property
    def length(self) -> npt.NDArray[np.int32]:
        return self._length[: self._n]

    @property
    def bound(self) -> npt.NDArray[np.float32]:
        return self._bound[: self._n]

    def restore(
        self,
        pos: npt.NDArray[np.int32],
        score: npt.NDArray[np.float32],
        length: npt.NDArray[np.int32],
        bound: npt.NDArray[np.float32],
    ) -> None:
        """Every row at once, as saved (:mod:`careerrank.retrieval.snapshot`)."""
        if pos.shape != score.shape or pos.shape[1:] != (self.depth,) or not len(pos) == len(length) == len(bound):
            raise ValueError(f"saved lists of shapes {pos.shape}, {score.shape}, {length.shape}, {bound.shape}")
        self._pos, self._score = pos.astype(np.int32), score.astype(np.float32)
        self._length, self._bound = length.astype(np.int32), bound.astype(np.float32)
        self._n = len(pos)

    def grow(self, n: int) -> None:
        """Rows up to ``n`` sources; a new row knows nothing yet (bound ``+inf``) until it is set."""
        if n <= self._n:
            return
        if n > len(self._length):
            capacity = max(n, len(self._length) * 3 // 2, 1024)
            self._pos = _resized(self._pos, capacity, self._n)
            self._score = _resized(self._score, capacity, self._n)
            self._length = _resized(self._length, capacity, self._n)
            self._bound = _resized(self._bound, capacity, self._n)
        self._pos[self._n : n] = -1
        self._score[self._n : n] = -np.inf
        self._length[self._n : n] = 0
        self._bound[self._n : n] = np.inf
        self._n = n

    def move_rows(self, moved: Compaction) -> None:
        """Sources left and the source index moved its last rows into their holes: the rows follow."""
        for array in (self._pos, self._score, self._length, self._bound):
            array[moved.dest] = array[moved.source]
        self._n = moved.after

    def set_rows(
        self, rows: Rows, positions: npt.NDArray[np.integer], scores: npt.NDArray[np.float32], complete: bool
    ) -> None:
        """Rows searched in full: the best ``positions.shape[1]`` targets, best first. ``complete``: that is
        every target, so nothing outside can score above anything."""
        width = min(positions.shape[1], self.depth)
        self.pos[rows] = -1
        self.score[rows] = -np.inf
        self.pos[rows, :width] = positions[:, :width]
        self.score[rows, :width] = scores[:, :width]
        self.length[rows] = width
        self.bound[rows] = -np.inf if complete else scores[:, width - 1] if width else np.inf

    def remap_targets(self, moved: Compaction, k: int) -> Rows:
        """Targets left or moved (as the target index compacted): entries follow a moved target, a removed
        one's entry goes. Return the rows whose first ``k`` entries changed."""
        touched = np.zeros(moved.before, dtype=bool)
        touched[moved.touched()] = True
        rows = self._rows_holding(touched)
        if not len(rows):
            return rows
        held = self.pos[rows]
        now = np.append(moved.new_position(), -1)[held]  # an empty slot (-1) stays empty
        self.pos[rows] = now
        return self._drop(rows, (held >= 0) & (now < 0), k)

    def drop_targets(self, marked: npt.NDArray[np.bool_], k: int) -> Rows:
        """Drop every entry whose target is ``marked`` (by position); return rows whose first ``k`` changed."""
        rows = self._rows_holding(marked)
        if not len(rows):
            return rows
        held = self.pos[rows]
        return self._drop(rows, np.append(marked, False)[held], k)

    def _rows_holding(self, marked: npt.NDArray[np.bool_]) -> Rows:
        """Rows with an entry whose target is ``marked``: one gather over every entry, no copy of the rows."""
        hit = np.append(marked, False)[self.pos]  # an empty slot (-1) reads the appended False
        return np.unique(np.flatnonzero(hit) // self.depth)

    def _drop(self, rows: Rows, gone: npt.NDArray[np.bool_], k: int) -> Rows:
        """Empty the ``gone`` slots of ``rows`` and close up."""
        pos, score = self.pos[rows], self.score[rows]
        pos[gone], score[gone] = -1, -np.inf
        # Survivors keep their order: a stable sort that moves the emptied slots to the end.
        order = np.argsort(gone, axis=1, kind="stable")
        self.pos[rows] = np.take_along_axis(pos, order, axis=1)
        self.score[rows] = np.take_along_axis(score, order, axis=1)
        self.length[rows] -= gone.sum(axis=1).astype(np.int32)
        # The bound stays: what was outside still scores at most it, and so does what just left.
        return rows[gone[:, :k].any(axis=1)]

    def merge(self, rows: Rows, targets: npt.NDArray[np.integer], scores: npt.NDArray[np.float32], k: int) -> Rows:
        """Enter candidates ``(rows[i], targets[i], scores[i])``, each above its row's bound and not in it;
        a row keeps its best ``depth``. Return the rows whose first ``k`` entries changed."""
        if not len(rows):
            return rows
        order = np.lexsort((-scores, rows))
        rows, targets, scores = rows[order], targets[order], scores[order]
        touched, first, count = np.unique(rows, return_index=True, return_counts=True)
        # Only a row's best ``depth`` candidates can stay.
        rank = np.arange(len(rows)) - np.repeat(first, count)
        keep = rank < self.depth
        rows, targets, scores, rank = rows[keep], targets[keep], scores[keep], rank[keep]
        slot = np.searchsorted(touched, rows)
        width = int(rank.max()) + 1
        new_pos = np.full((len(touched), width), -1, dtype=np.int32)
        new_score = np.full((len(touched), width), -np.inf, dtype=np.float32)
        new_pos[slot, rank], new_score[slot, rank] = targets, scores
        both_pos = np.concatenate([self.pos[touched], new_pos], axis=1)
        both_score = np.concatenate([self.score[touched], new_score], axis=1)
        best = np.argsort(-both_score, axis=1, kind="stable")[:, : self.depth]
        before = self.pos[touched, :k].copy()
        kept_pos = np.take_along_axis(both_pos, best, axis=1)
        kept_score = np.take_along_axis(both_score, best, axis=1)
        total = self.length[touched] + count.astype(np.int32)
        overflow = total > self.depth
        # A row that overflowed drops its tail: nothing outside it scores above what it kept last.
        self.bound[touched[overflow]] = np.maximum(self.bound[touched[overflow]], kept_score[overflow, -1])
        self.pos[touched], self.score[touched] = kept_pos, kept_score
        self.length[touched] = np.minimum(total, self.depth)
        changed: Rows = touched[(kept_pos[:, :k] != before).any(axis=1)]
        return changed

    def short(self, k: int, n_targets: int) -> Rows:
        """Rows that cannot say their top ``k`` any more: fewer entries than that and targets outside, or rows
        that know nothing (a source with no stored list)."""
        need = min(k, n_targets)
        return np.flatnonzero(((self.length < need) & (self.bound > -np.inf)) | (self.bound == np.inf))

    def ranked(self, row: int, k: int, target_ids: Sequence[str]) -> Ranked:
        """The stored list of ``row``: its first ``k`` entries, ties in id order like every other computation."""
        return self.list_rows(np.asarray([row], dtype=np.intp), ["row"], k, target_ids).get("row", [])

    def list_rows(
        self, rows: Rows, sources: Sequence[str], k: int, target_ids: Sequence[str], removed: Sequence[str] = ()
    ) -> ListRows:
        """The stored lists of ``rows`` (whose sources are ``sources``), as arrays; a row with no entry is a
        list removed, with ``removed``."""
        lengths = np.minimum(self.length[rows], k)
        return ListRows.best_first(sources, self.pos[rows, :k], self.score[rows, :k], lengths, target_ids, removed)

    def fill(
        self, source_ids: Sequence[str], stored: Mapping[str, Ranked], target_pos: Mapping[str, int], k: int
    ) -> Rows:
        """Rows from stored lists (as deep as they were stored, at most ``depth``). An entry whose target the
        index lacks (it closed since) is dropped, as a removal drops it: the row stays exact over the rest
        under the same bound. A source with no list is left short: the next batch searches it. Return the
        rows whose stored first ``k`` named such a target: their stored lists must be written again. One pass
        over all entries at once: at restart this runs over every list."""
        self.grow(len(source_ids))
        rows = np.asarray([row for row, source in enumerate(source_ids) if source in stored], dtype=np.intp)
        held = [stored[source_ids[row]] for row in rows.tolist()]
        kept = [ranked[: self.depth] for ranked in held]
        if not kept:
            return np.zeros(0, np.intp)
        entries = list(chain.from_iterable(kept))
        n = len(entries)
        positions = np.fromiter(map(target_pos.get, map(itemgetter(0), entries), repeat(-1)), np.int64, n)
        scores = np.fromiter(map(itemgetter(1), entries), np.float32, n)
        sizes = np.fromiter(map(len, kept), np.intp, len(kept))
        group = np.repeat(np.arange(len(kept)), sizes)
        found = positions >= 0
        counts = np.bincount(group[found], minlength=len(kept))
        # Entries close up over the missing ones: an entry's slot is its rank among its row's found ones.
        slot = np.arange(int(found.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        self.pos[rows[group[found]], slot] = positions[found]
        self.score[rows[group[found]], slot] = scores[found]
        self.length[rows] = counts
        last = scores[np.maximum(np.cumsum(sizes) - 1, 0)]
        full = np.fromiter(map(len, held), np.intp, len(held)) >= k
        # Nothing outside a full row scores above its last stored entry; a row shorter than k held every target.
        self.bound[rows] = np.where(full, last, -np.inf)
        rank = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        lost = np.bincount(group[~found & (rank < k)], minlength=len(kept)) > 0
        return rows[lost]


def _resized(array: npt.NDArray[_T], capacity: int, used: int) -> npt.NDArray[_T]:
    grown = np.empty((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[:used] = array[:used]
    return grown
