"""An exact inner-product index of one kind's vectors, addressed by upstream string ids.

Positions are kept dense and in step with ``ids``; a removal moves the last rows into the holes it leaves,
and says how positions moved so that what refers to them (:mod:`careerrank.retrieval.resident`) can follow.
On a GPU the vectors are mirrored into a FAISS flat index there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import faiss
import numpy as np
import numpy.typing as npt

from careerrank.retrieval.screen import Screen, top_rows
from careerrank.retrieval.vector_store import VectorStore
from careerrank.vectors import Vectors


def gpu_available() -> bool:
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


@dataclass(frozen=True)
class Compaction:
    """How positions moved when ids left: the last rows moved into the holes below ``after``."""

    before: int
    after: int
    removed: npt.NDArray[np.intp]  # old positions that left
    source: npt.NDArray[np.intp]  # old positions of rows that moved ...
    dest: npt.NDArray[np.intp]  # ... and where they are now

    def new_position(self) -> npt.NDArray[np.intp]:
        """``new[old]`` for every old position: where it is now, ``-1`` if it left."""
        new = np.arange(self.before, dtype=np.intp)
        new[self.removed] = -1
        new[self.source] = self.dest
        return new

    def touched(self) -> npt.NDArray[np.intp]:
        """Old positions whose row left or moved: every other position is where it was."""
        return np.concatenate([self.removed, self.source])


class ItemIndex:
    """Vectors of one kind with their versions. Not thread-safe: one owner thread."""

    def __init__(self, dim: int, use_gpu: bool = False) -> None:
        self.dim = dim
        self._store = VectorStore(dim)
        self.ids: list[str] = []
        self.versions: list[datetime] = []
        self._pos: dict[str, int] = {}
        self._gpu_resources = faiss.StandardGpuResources() if use_gpu else None
        self._gpu: faiss.Index | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._pos

    @property
    def device(self) -> str:
        return "gpu" if self._gpu_resources is not None else "cpu"

    def version_of(self, item_id: str) -> datetime | None:
        pos = self._pos.get(item_id)
        return None if pos is None else self.versions[pos]

    def position(self, item_id: str) -> int | None:
        return self._pos.get(item_id)

    def position_of(self, item_id: str) -> int:
        """The position of an id the index holds (KeyError otherwise)."""
        return self._pos[item_id]

    def vectors(self) -> Vectors:
        """A read-only view of all vectors, row ``i`` belonging to ``ids[i]``."""
        return self._store.view()

    def upsert(self, ids: Sequence[str], versions: Sequence[datetime], vectors: Vectors) -> list[bool]:
        """Add or replace vectors; return, per id, whether it was already present. New ids go at the end.

        An id given twice keeps its last vector (and both entries report the state before the call).
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(set(ids)) != len(ids):
            last = {item_id: row for row, item_id in enumerate(ids)}
            before = [i in self._pos for i in ids]
            rows = sorted(last.values())
            self.upsert([ids[r] for r in rows], [versions[r] for r in rows], vectors[rows])
            return before
        existed = [i in self._pos for i in ids]
        replaced = [r for r, e in enumerate(existed) if e]
        if replaced:
            positions = np.asarray([self._pos[ids[r]] for r in replaced], dtype=np.intp)
            self._store.write(positions, vectors[replaced])
            for r, pos in zip(replaced, positions.tolist(), strict=True):
                self.versions[pos] = versions[r]
        new_rows = [r for r, e in enumerate(existed) if not e]
        if new_rows:
            start = len(self.ids)
            self._store.append(vectors[new_rows])
            for offset, r in enumerate(new_rows):
                self._pos[ids[r]] = start + offset
                self.ids.append(ids[r])
                self.versions.append(versions[r])
        self._gpu = None
        return existed

    def remove(self, ids: Sequence[str]) -> int:
        moved = self.compact(ids)
        return 0 if moved is None else len(moved.removed)

    def compact(self, ids: Sequence[str]) -> Compaction | None:
        """Remove ``ids`` (unknown ones are ignored): the last rows fill the holes, so the cost is that of the
        ids removed, not of the index. Return how positions moved, or None if nothing left."""
        removed = np.asarray(sorted({self._pos[i] for i in ids if i in self._pos}), dtype=np.intp)
        if not len(removed):
            return None
        before = len(self.ids)
        after = before - len(removed)
        dest = removed[removed < after]
        gone = np.zeros(before - after, dtype=bool)
        gone[removed[removed >= after] - after] = True
        source = np.flatnonzero(~gone).astype(np.intp) + after
        for pos in removed.tolist():
            del self._pos[self.ids[pos]]
        for src, dst in zip(source.tolist(), dest.tolist(), strict=True):
            self.ids[dst], self.versions[dst] = self.ids[src], self.versions[src]
            self._pos[self.ids[dst]] = dst
        del self.ids[after:], self.versions[after:]
        self._store.move(source, dest, after)
        self._gpu = None
        return Compaction(before, after, removed, source, dest)

    def search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], list[list[str]]]:
        """Top-``k`` by inner product for each query row; short rows where the index is small."""
        if len(self.ids) == 0 or len(queries) == 0:
            return np.zeros((len(queries), 0), dtype=np.float32), [[] for _ in range(len(queries))]
        scores, positions = self.search_positions(queries, k)
        ids = [[self.ids[p] for p in row if p >= 0] for row in positions.tolist()]
        return scores, ids

    def search_positions(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-``k`` positions by inner product for each query row (``k`` at most the index size).

        Exact. On the CPU a matrix product and a top-k (torch, screened in bfloat16: :mod:`.screen`) instead
        of FAISS' flat search, whose per-query heaps cost several times more (``scripts/bench``, stage
        ``vector_search``); on a GPU the FAISS GPU mirror.
        """
        k = min(k, len(self.ids))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self._gpu_resources is not None:
            scores, positions = self._searcher().search(queries, k)
            return scores, positions
        return top_rows(queries, self.screen(), k)

    def screen(self) -> Screen:
        """The vectors as float32 and bfloat16 tensors (shared with the index: valid until its next change)."""
        return self._store.screen()

    def _searcher(self) -> faiss.Index:
        assert self._gpu_resources is not None
        if self._gpu is None:
            # Exact search over a mirror; rebuilding it costs one host-to-device copy per batch.
            flat = faiss.IndexFlatIP(self.dim)
            flat.add(self.vectors())
            self._gpu = faiss.index_cpu_to_gpu(self._gpu_resources, 0, flat)
        return self._gpu
