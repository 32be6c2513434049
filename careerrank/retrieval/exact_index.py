"""An exact inner-product index of one kind's vectors, addressed by upstream string ids.

Positions in the FAISS index are kept dense and in step with ``ids``; a removal compacts both.
Beside each vector sits its ``floor``: the score of the last entry of that item's own top-K list
(``-inf`` while the list is not full). A new item of the opposite kind enters an item's list only
if it scores above the floor, which turns "which lists does this new item belong to?" into one
matrix product instead of a search per list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import faiss
import numpy as np
import numpy.typing as npt

from careerrank.retrieval.blocks import top_k_rows
from careerrank.vectors import Vectors


def gpu_available() -> bool:
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


class ItemIndex:
    """Vectors of one kind with their versions and list floors. Not thread-safe: one owner thread."""

    def __init__(self, dim: int, use_gpu: bool = False) -> None:
        self.dim = dim
        self._cpu = faiss.IndexFlatIP(dim)
        self.ids: list[str] = []
        self.versions: list[datetime] = []
        self.floor: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._pos: dict[str, int] = {}
        self._gpu_resources = faiss.StandardGpuResources() if use_gpu else None
        self._gpu: faiss.Index | None = None
        self._gpu_stale = True

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
            self.floor = np.concatenate([self.floor, np.full(len(new_rows), -np.inf, dtype=np.float32)])
        self._gpu_stale = True
        return existed

    def remove(self, ids: Sequence[str]) -> int:
        positions = sorted({self._pos[i] for i in ids if i in self._pos})
        if not positions:
            return 0
        self._cpu.remove_ids(faiss.IDSelectorBatch(np.asarray(positions, dtype=np.int64)))
        keep = np.ones(len(self.ids), dtype=bool)
        keep[positions] = False
        self.ids = [i for i, k in zip(self.ids, keep, strict=True) if k]
        self.versions = [v for v, k in zip(self.versions, keep, strict=True) if k]
        self.floor = self.floor[keep]
        self._pos = {item_id: p for p, item_id in enumerate(self.ids)}
        self._gpu_stale = True
        return len(positions)

    def search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], list[list[str]]]:
        """Top-``k`` by inner product for each query row; short rows where the index is small.

        Exact. On the CPU a matrix product and a top-k (torch) instead of FAISS' flat search, whose per-query
        heaps cost several times more (``scripts/bench``, stage ``vector_search``); on a GPU the FAISS GPU mirror.
        """
        if len(self.ids) == 0 or len(queries) == 0:
            return np.zeros((len(queries), 0), dtype=np.float32), [[] for _ in range(len(queries))]
        k = min(k, len(self.ids))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self._gpu_resources is not None:
            scores, positions = self._searcher().search(queries, k)
        else:
            scores, positions = top_k_rows(queries, self._matrix(), k)
        ids = [[self.ids[p] for p in row if p >= 0] for row in positions.tolist()]
        return scores, ids

    def _matrix(self) -> Vectors:
        n = self._cpu.ntotal
        return faiss.rev_swig_ptr(self._cpu.get_xb(), n * self.dim).reshape(n, self.dim)

    def set_floors(self, floors: dict[str, float]) -> None:
        for item_id, value in floors.items():
            pos = self._pos.get(item_id)
            if pos is not None:
                self.floor[pos] = value

    def _searcher(self) -> faiss.Index:
        if self._gpu_resources is None:
            return self._cpu
        if self._gpu is None or self._gpu_stale:
            # Exact search over a mirror; rebuilding it costs one host-to-device copy per batch.
            self._gpu = faiss.index_cpu_to_gpu(self._gpu_resources, 0, self._cpu)
            self._gpu_stale = False
        return self._gpu
