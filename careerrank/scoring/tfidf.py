"""TF-IDF over lemma lists, one vectorizer per thematic group, and the row-wise cosine of two matrices.

The weighting is scikit-learn's with ``sublinear_tf=True, smooth_idf=True, norm="l2"``: a term's weight is
``(1 + ln tf) * (ln((1 + n) / (1 + df)) + 1)`` and every row has unit length (an empty row stays zero).
The vocabulary is sorted, so one corpus always gives one vectorizer, and it serialises to plain bytes
(a JSON list of terms and the idf as little-endian float32), so loading a model never unpickles.
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from collections.abc import Sequence
from itertools import chain
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

_MAGIC: Final = b"CRTFIDF1"
_HEADER: Final = struct.Struct("<8sQ")  # magic, byte length of the JSON term list


class GroupVectorizer:
    """A fitted TF-IDF vocabulary: sorted terms and their idf; ``len()`` is the vocabulary size."""

    __slots__ = ("_idf", "_index", "_terms")

    def __init__(self, terms: Sequence[str], idf: npt.ArrayLike) -> None:
        weights = np.ascontiguousarray(idf, dtype=np.float32)
        if weights.shape != (len(terms),):
            raise ValueError(f"{len(terms)} terms but idf of shape {weights.shape}")
        self._terms: tuple[str, ...] = tuple(terms)
        self._index: dict[str, int] = {term: i for i, term in enumerate(self._terms)}
        if len(self._index) != len(self._terms):
            raise ValueError("terms repeat")
        weights.flags.writeable = False
        self._idf: npt.NDArray[np.float32] = weights

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], *, min_df: int = 2, max_features: int = 50_000) -> GroupVectorizer:
        """Learn the vocabulary (terms in >= ``min_df`` docs, at most ``max_features`` of the most common) and idf."""
        if min_df < 1 or max_features < 0:
            raise ValueError(f"min_df must be >= 1 and max_features >= 0, got {min_df} and {max_features}")
        df = Counter(chain.from_iterable(map(set, docs)))
        kept = [(count, term) for term, count in df.items() if count >= min_df]
        if len(kept) > max_features:
            # Most documents first, ties by term: the cut does not depend on the corpus order.
            kept.sort(key=lambda item: (-item[0], item[1]))
            kept = kept[:max_features]
        kept.sort(key=lambda item: item[1])
        counts = np.array([count for count, _ in kept], dtype=np.float64)
        idf = np.log((1.0 + len(docs)) / (1.0 + counts)) + 1.0
        return cls([term for _, term in kept], idf)

    def transform(self, docs: Sequence[Sequence[str]]) -> csr_matrix:
        """One L2-normalised float32 row per doc over the vocabulary; unknown terms are ignored."""
        n, width = len(docs), len(self._terms)
        get = self._index.get
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=n)
        ids = np.fromiter((get(t, -1) for doc in docs for t in doc), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        known = ids >= 0
        # One sort of (row, term) keys counts every term of every doc at once: rows and columns come out ordered.
        keys, tf = np.unique(rows[known] * max(width, 1) + ids[known], return_counts=True)
        row_of, col = np.divmod(keys, max(width, 1))
        data = (1.0 + np.log(tf)) * self._idf[col]
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0  # a row whose known terms all have idf 0 stays zero rather than NaN
        data /= norms[row_of]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of, minlength=n), out=indptr[1:])
        index = np.int32 if len(data) < 2**31 else np.int64
        return csr_matrix((data.astype(np.float32), col.astype(index), indptr.astype(index)), shape=(n, width))

    @property
    def terms(self) -> tuple[str, ...]:
        """The vocabulary, sorted; a term's position is its column."""
        return self._terms

    @property
    def idf(self) -> npt.NDArray[np.float32]:
        """The idf of each term, read-only."""
        return self._idf

    def __len__(self) -> int:
        return len(self._terms)

    def to_bytes(self) -> bytes:
        """A self-describing byte string that :meth:`from_bytes` turns back into an equal vectorizer."""
        terms = json.dumps(self._terms, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _HEADER.pack(_MAGIC, len(terms)) + terms + self._idf.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> GroupVectorizer:
        """The vectorizer :meth:`to_bytes` wrote; ``ValueError`` on anything else."""
        if len(data) < _HEADER.size:
            raise ValueError("not a serialised GroupVectorizer: too short")
        magic, size = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not a serialised GroupVectorizer: bad magic")
        start = _HEADER.size + size
        terms = json.loads(data[_HEADER.size : start].decode("utf-8"))
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ValueError("not a serialised GroupVectorizer: the terms are not a list of strings")
        if len(data) - start != 4 * len(terms):
            raise ValueError(f"not a serialised GroupVectorizer: {len(terms)} terms but {len(data) - start} idf bytes")
        return cls(terms, np.frombuffer(data, dtype="<f4", offset=start).astype(np.float32))


def row_cosines(a: csr_matrix, b: csr_matrix) -> npt.NDArray[np.float32]:
    """The cosine of row i of ``a`` with row i of ``b`` for every i; rows must be L2-normalised (zero rows give 0)."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float32).reshape(-1)
