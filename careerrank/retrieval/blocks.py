"""Exact inner-product scores in blocks of query rows: the one matrix product every list is computed from.

A block of query rows is scored against every target at once, so memory stays at ``rows x targets`` floats
while the product runs at matrix speed. The exact index (search), the incremental lists (a batch's new
items) and the all-pairs lists of a reindex all take their top-K from these blocks. Blocking: run it on a
thread of its own.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import torch

from careerrank.vectors import Vectors
from schemas import Ranked

# Query rows scored at once on the CPU: bounds a block at ROWS_PER_BLOCK x targets floats.
ROWS_PER_BLOCK = 256


def as_tensor(array: Vectors, device: str = "cpu") -> torch.Tensor:
    """``array`` as a float32 tensor on ``device``, sharing memory on the CPU.

    Vectors read from PostgreSQL bytes, and the index's view of its own vectors, are read-only; nothing
    writes through these tensors, so they are wrapped as they are instead of copied.
    """
    contiguous = np.ascontiguousarray(array, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        tensor = torch.from_numpy(contiguous)
    return tensor.to(device)


def score_blocks(
    queries: Vectors, targets: torch.Tensor, rows: int | None = None
) -> Iterator[tuple[int, torch.Tensor]]:
    """``(first row, queries[first : first + rows] @ targets.T)`` for consecutive blocks of ``queries``
    (``rows`` defaults to :data:`ROWS_PER_BLOCK`), computed on ``targets``' device."""
    rows = rows or ROWS_PER_BLOCK
    for start in range(0, len(queries), rows):
        yield start, as_tensor(queries[start : start + rows], str(targets.device)) @ targets.T


def top_k_rows(queries: Vectors, targets: Vectors, k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Best ``k`` rows of ``targets`` per query by inner product, best first: ``(scores, positions)``."""
    scores = np.empty((len(queries), k), dtype=np.float32)
    positions = np.empty((len(queries), k), dtype=np.int64)
    with torch.inference_mode():
        for start, block in score_blocks(queries, as_tensor(targets)):
            top = torch.topk(block, k, dim=1)
            scores[start : start + len(block)] = top.values.numpy()
            positions[start : start + len(block)] = top.indices.numpy()
    return scores, positions


def ranked_row(target_ids: Sequence[str], positions: Sequence[int], scores: Sequence[float]) -> Ranked:
    """One list from a top-k row (best first), ties in id order like every other computation of it."""
    row = [(target_ids[p], s) for p, s in zip(positions, scores, strict=True)]
    if len(set(scores)) < len(scores):
        row.sort(key=by_score)
    return row


def by_score(entry: tuple[str, float]) -> tuple[float, str]:
    """Sort key of list entries: best score first, ties broken by id so every recomputation agrees."""
    return (-entry[1], entry[0])


def ranking_version(model: str) -> str:
    """What ranked a list, as stored with it: cosine over the vectors of ``model``."""
    return f"{model}/cosine"
