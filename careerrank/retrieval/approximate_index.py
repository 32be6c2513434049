"""An approximate inner-product index (FAISS IVF) for L2-normalised float32 vectors, addressed by int64 ids.

For indexes above about a million vectors, where exact search (``IndexFlatIP``) costs a full pass per query.
Vectors are clustered into ``nlist`` inverted lists by spherical k-means; a search scans the ``nprobe``
lists whose centroids score highest against the query. IVF keeps ``remove_ids``, which the matcher needs
for closed items (an ``IndexHNSWFlat`` graph cannot delete, and measured no better on recall per second).
The coarse quantizer is an HNSW graph over the centroids (default) or exact (``IndexFlatIP``): both give
the same recall, and the graph trains and adds several times faster once ``nlist`` is in the thousands.

Ids are arbitrary int64 values chosen by the caller and never reused by the index; they need not be
dense, and removing one leaves the others unchanged.
"""

from __future__ import annotations

import math
from typing import Literal

import faiss
import numpy as np
import numpy.typing as npt

from careerrank.vectors import Vectors

Ids = npt.NDArray[np.int64]
Quantizer = Literal["flat", "hnsw"]

# With nlist = 4·√n, recall@10 ≥ 0.95 needs nprobe 16 (in-distribution queries) to 47 (real SuperJob
# vacancies against synthetic resumes) at about a million vectors; 64 leaves a margin (results/ann/).
DEFAULT_NPROBE = 64
# FAISS warns under 39 points per centroid; more mostly cost k-means time (measured: scripts/bench_ann.py).
TRAIN_POINTS_PER_LIST = 40


def default_nlist(n: int) -> int:
    """Inverted lists for ``n`` vectors: ``4·√n`` (lists of about ``√n/4`` vectors), at most ``n``."""
    return max(1, min(round(4 * math.sqrt(max(n, 0))), n))


def train_size(nlist: int) -> int:
    """How many vectors ``train`` needs for ``nlist`` lists; more only cost k-means time."""
    return TRAIN_POINTS_PER_LIST * nlist


class ApproximateIndex:
    """IVF-Flat over inner product. Not thread-safe for writes; searches may run concurrently."""

    def __init__(
        self,
        dim: int,
        nlist: int,
        *,
        nprobe: int = DEFAULT_NPROBE,
        quantizer: Quantizer = "hnsw",
        hnsw_m: int = 32,
        assign_ef: int = 16,
        kmeans_iterations: int = 10,
    ) -> None:
        self.dim = dim
        self.nlist = nlist
        self.quantizer_kind: Quantizer = quantizer
        self._quantizer: faiss.Index
        if quantizer == "hnsw":
            # k-means and ``add`` assign through the graph too, with a small beam (``assign_ef``): with
            # thousands of lists that trains and adds far faster than a pass over all centroids, which is what
            # makes a million vectors affordable (timings: results/ann/).
            self._quantizer = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self._quantizer.hnsw.efConstruction = 80
            self._quantizer.hnsw.efSearch = assign_ef
        else:
            self._quantizer = faiss.IndexFlatIP(dim)
        self._index = faiss.IndexIVFFlat(self._quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        self._index.cp.niter = kmeans_iterations
        self._index.cp.max_points_per_centroid = TRAIN_POINTS_PER_LIST
        self.nprobe = nprobe

    @classmethod
    def for_size(
        cls, dim: int, n: int, *, nprobe: int = DEFAULT_NPROBE, quantizer: Quantizer = "hnsw"
    ) -> ApproximateIndex:
        """An index sized for about ``n`` vectors (``nlist`` from :func:`default_nlist`)."""
        return cls(dim, default_nlist(n), nprobe=nprobe, quantizer=quantizer)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def nprobe(self) -> int:
        """Lists scanned per query: the speed/recall knob, at most ``nlist``."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"nprobe must be at least 1, not {value}")
        self._nprobe = min(value, self.nlist)

    @property
    def is_trained(self) -> bool:
        return bool(self._index.is_trained)

    @property
    def faiss_index(self) -> faiss.IndexIVFFlat:
        """The wrapped FAISS index, for inspection (list sizes, serialisation)."""
        return self._index

    def train(self, sample: Vectors) -> None:
        """Cluster a representative sample (:func:`train_size` rows are enough) into ``nlist`` lists."""
        sample = self._rows(sample)
        if len(sample) < self.nlist:
            raise ValueError(f"{len(sample)} training vectors for {self.nlist} lists")
        self._index.train(sample)

    def add(self, vectors: Vectors, ids: Ids) -> None:
        """Add rows under the given ids; the index must be trained. An id must not already be present."""
        vectors = self._rows(vectors)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if ids.shape != (len(vectors),):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if not self.is_trained:
            raise RuntimeError("train the index before adding vectors")
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: Ids) -> int:
        """Remove the given ids (absent ones are ignored); return how many vectors went."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, queries: Vectors, k: int, nprobe: int | None = None) -> tuple[Vectors, Ids]:
        """Approximate top-``k`` by inner product per query row: ``(scores, ids)``, both ``(nq, k)``.

        Where fewer than ``k`` vectors are found, the row ends with id ``-1`` and score ``-inf``.
        """
        queries = self._rows(queries)
        if len(queries) == 0 or k < 1:
            return np.zeros((len(queries), max(k, 0)), np.float32), np.zeros((len(queries), max(k, 0)), np.int64)
        params, keep_alive = self._params(nprobe)
        scores, ids = self._index.search(queries, k, params=params)
        del keep_alive
        scores[ids < 0] = -np.inf
        return scores, ids

    def neighbours_above(
        self, query: Vectors, floors: npt.NDArray[np.float32], m: int = 256, nprobe: int | None = None
    ) -> tuple[Ids, Vectors]:
        """Indexed vectors that score above their own floor against ``query``, by score, best first.

        ``floors[id]`` is the floor of the vector added under ``id`` (ids index ``floors``). Exact would
        be a full scan; this checks only the query's approximate top-``m`` neighbours, so a vector
        with a low floor far from the query is missed. Returns ``(ids, scores)``.
        """
        found = self.neighbours_above_batch(np.asarray(query, np.float32).reshape(1, -1), floors, m, nprobe)
        return found[0]

    def neighbours_above_batch(
        self, queries: Vectors, floors: npt.NDArray[np.float32], m: int = 256, nprobe: int | None = None
    ) -> list[tuple[Ids, Vectors]]:
        """:meth:`neighbours_above` for each row of ``queries``, in one search."""
        scores, ids = self.search(queries, m, nprobe)
        valid = ids >= 0
        above = valid & (scores > floors[np.where(valid, ids, 0)])
        return [(ids[row][above[row]], scores[row][above[row]]) for row in range(len(ids))]

    def list_sizes(self) -> npt.NDArray[np.int64]:
        invlists = self._index.invlists
        assert invlists is not None
        return np.array([invlists.list_size(i) for i in range(self.nlist)], dtype=np.int64)

    def memory_bytes(self) -> int:
        """Bytes held: vectors and ids in the lists, plus the quantizer (centroids, HNSW links)."""
        lists = len(self) * (self._index.code_size + np.dtype(np.int64).itemsize)
        return int(lists + len(faiss.serialize_index(self._quantizer)))

    def _params(self, nprobe: int | None) -> tuple[faiss.SearchParametersIVF, object]:
        """Per-call search parameters (so concurrent searches may differ), and the nested object that
        SWIG does not keep alive by itself: the caller holds it until the search returns."""
        probe = min(nprobe or self._nprobe, self.nlist)
        params = faiss.SearchParametersIVF()
        params.nprobe = probe
        hnsw = None
        if self.quantizer_kind == "hnsw":
            # the graph must return at least nprobe candidate lists, with some slack for its own recall
            hnsw = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            hnsw.efSearch = max(2 * probe, 64)
            params.quantizer_params = hnsw
        return params, hnsw

    def _rows(self, vectors: Vectors) -> Vectors:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected rows of {self.dim} floats, got shape {vectors.shape}")
        return vectors


def recall_at_k(approx_scores: Vectors, exact_scores: Vectors, k: int, tolerance: float = 1e-6) -> float:
    """Recall@k that counts ties: a returned item is correct if it scores at least the exact k-th score
    minus ``tolerance``. Ids are not compared, so equal-scoring duplicates are interchangeable."""
    threshold = exact_scores[:, k - 1 : k] - tolerance
    hits = (approx_scores[:, :k] >= threshold).sum(axis=1)
    return float(hits.mean() / k)
