"""An exact inner-product index of one kind's vectors, addressed by upstream string ids.

Positions in the FAISS index are kept dense and in step with ``ids``; a removal compacts both, and says how
positions moved so that what refers to them (:mod:`careerrank.retrieval.resident`) can follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import faiss
import numpy as np
import numpy.typing as npt

from careerrank.retrieval.screen import Screen, top_rows
from careerrank.vectors import Vectors


def gpu_available() -> bool:
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


class ItemIndex:
    """Vectors of one kind with their versions. Not thread-safe: one owner thread."""

    def __init__(self, dim: int, use_gpu: bool = False) -> None:
        self.dim = dim
        self._cpu = faiss.IndexFlatIP(dim)
        self.ids: list[str] = []
        self.versions: list[datetime] = []
        self._pos: dict[str, int] = {}
        self._gpu_resources = faiss.StandardGpuResources() if use_gpu else None
        self._gpu: faiss.Index | None = None
        self._gpu_stale = True
        self._screen: Screen | None = None

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
        n = self._cpu.ntotal
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        view = faiss.rev_swig_ptr(self._cpu.get_xb(), n * self.dim).reshape(n, self.dim)
        view.flags.writeable = False
        return view

    def upsert(self, ids: Sequence[str], versions: Sequence[datetime], vectors: Vectors) -> list[bool]:
        """Add or replace vectors; return, per id, whether it was already present.

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
        new_rows = [r for r, e in enumerate(existed) if not e]
        replaced = [r for r, e in enumerate(existed) if e]
        if replaced:
            n = self._cpu.ntotal
            view = faiss.rev_swig_ptr(self._cpu.get_xb(), n * self.dim).reshape(n, self.dim)
            for r in replaced:
                pos = self._pos[ids[r]]
                view[pos] = vectors[r]
                self.versions[pos] = versions[r]
        if new_rows:
            start = len(self.ids)
            self._cpu.add(vectors[new_rows])
            for offset, r in enumerate(new_rows):
                self._pos[ids[r]] = start + offset
                self.ids.append(ids[r])
                self.versions.append(versions[r])
        self._gpu_stale = True
        self._screen = None
        return existed

    def remove(self, ids: Sequence[str]) -> int:
        keep = self.compact(ids)
        return 0 if keep is None else int(len(keep) - keep.sum())

    def compact(self, ids: Sequence[str]) -> npt.NDArray[np.bool_] | None:
        """Remove ``ids`` (unknown ones are ignored); return which old positions stayed, or None if none left."""
        positions = sorted({self._pos[i] for i in ids if i in self._pos})
        if not positions:
            return None
        self._cpu.remove_ids(faiss.IDSelectorBatch(np.asarray(positions, dtype=np.int64)))
        keep = np.ones(len(self.ids), dtype=bool)
        keep[positions] = False
        first = positions[0]
        # Positions before the first removed one do not move.
        tail = [i for i, k in zip(self.ids[first:], keep[first:].tolist(), strict=True) if k]
        for item_id in self.ids[first:]:
            del self._pos[item_id]
        self.ids[first:] = tail
        self._pos.update(zip(tail, range(first, first + len(tail)), strict=True))
        self.versions[first:] = [v for v, k in zip(self.versions[first:], keep[first:].tolist(), strict=True) if k]
        self._gpu_stale = True
        self._screen = None
        return keep

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
        """The vectors as float32 and bfloat16 tensors, rebuilt once after a change."""
        if self._screen is None:
            self._screen = Screen.of(self._matrix())
        return self._screen

    def _matrix(self) -> Vectors:
        n = self._cpu.ntotal
        return faiss.rev_swig_ptr(self._cpu.get_xb(), n * self.dim).reshape(n, self.dim)

    def _searcher(self) -> faiss.Index:
        if self._gpu_resources is None:
            return self._cpu
        if self._gpu is None or self._gpu_stale:
            # Exact search over a mirror; rebuilding it costs one host-to-device copy per batch.
            self._gpu = faiss.index_cpu_to_gpu(self._gpu_resources, 0, self._cpu)
            self._gpu_stale = False
        return self._gpu
