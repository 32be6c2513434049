"""Vectors as every part of CareerRank holds them: float32 rows, L2-normalised, so inner product is cosine.

Stored in PostgreSQL as little-endian float32 bytes (``embeddings.vector``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


def normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    """Contiguous float32 rows scaled to unit length (a zero row stays zero)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def to_bytes(vector: Vectors) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> Vectors:
    """The float32 values of ``data``: a read-only view of it, not a copy."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32, copy=False)
