"""Exact top-k and threshold hits through a bfloat16 screen.

The matrix product that every new item pays for (its row against every item of the other kind) runs about
three times faster in bfloat16 than in float32 here (AVX-512 BF16). Its scores are only near the exact ones,
by at most :func:`margin`, so they only screen: what could be in an exact answer is re-scored in float32, and
the answer is taken from those exact scores alone. Nothing that belongs in an answer can fail the screen:
- top-k of a row: the exact top k are among the targets whose screened score is at least the k-th best
  screened score minus twice the margin (each moves by at most the margin);
- a threshold per target (a list's bound): an exact score above it is screened above it minus the margin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from careerrank.retrieval.blocks import as_tensor
from careerrank.vectors import Vectors

# bfloat16 keeps 8 significant bits and rounds to nearest: a value moves by at most this much of itself.
UNIT_ROUNDOFF = 2.0**-8
# Query rows screened at once: a block of bfloat16 scores stays near the cache between its passes. Without
# native bfloat16 the float32 product itself is the cost, and it runs faster in taller blocks.
ROWS_PER_BLOCK = 128
FLOAT32_ROWS_PER_BLOCK = 512
# Screened candidates per row beyond k that are re-scored exactly; a row with more near its k-th best is
# scored in full instead (rare: about one row in a hundred at 45k targets).
EXTRA = 108


@cache
def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX). Elsewhere bfloat16 is emulated and
    slower than float32, so the screen runs in float32: the same code, the margin then merely generous."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def margin(query_norm: float, target_norm: float, dim: int) -> float:
    """The most a screened score can differ from the float32 one, for vectors of these norms.

    Rounding both inputs moves each product term by at most ``(2u + u^2)`` of ``|a_i||b_i|``, so the sum by
    that much of ``|a||b|`` (Cauchy-Schwarz); the result is rounded once more (``u`` of a value at most
    ``(1+u)^2 |a||b|``); float32 accumulation of ``dim`` terms adds at most ``dim * 2^-24`` of the same sum.
    The last term covers denormals flushed to zero.
    """
    u = UNIT_ROUNDOFF
    scale = query_norm * target_norm
    return scale * ((2 * u + u * u) + u * (1 + u) ** 2 + dim * 2.0**-23) + 1e-6


@dataclass(frozen=True)
class Screen:
    """One index's vectors twice: float32 for exact scores, bfloat16 to screen with."""

    exact: torch.Tensor
    low: torch.Tensor
    norm: float

    @classmethod
    def of(cls, vectors: Vectors) -> Screen:
        exact = as_tensor(vectors)
        norm = float(torch.linalg.vector_norm(exact, dim=1).max()) if len(exact) else 0.0
        return cls(exact, exact.to(torch.bfloat16) if native_bfloat16() else exact, norm)

    def __len__(self) -> int:
        return len(self.exact)

    @property
    def screens_exactly(self) -> bool:
        """Whether the screen is the float32 vectors themselves: its scores are then the exact ones."""
        return self.low.dtype == torch.float32


@dataclass(frozen=True)
class Block:
    """One block of query rows: each row's exact top-k and, if asked for, the exact hits above a threshold."""

    start: int
    scores: torch.Tensor  # rows x top, float32, best first
    positions: torch.Tensor  # rows x top, int64
    hit_rows: torch.Tensor  # row within the block
    hit_targets: torch.Tensor
    hit_scores: torch.Tensor


def screened_blocks(
    queries: Vectors, targets: Screen, top: int, threshold: npt.NDArray[np.float32] | None = None
) -> Iterator[Block]:
    """Exact top-``top`` of ``targets`` per query row and, given a ``threshold`` per target, every
    ``(row, target)`` whose exact score is above that target's threshold; in blocks of query rows."""
    n, dim = targets.exact.shape
    top = min(top, n)
    bound = None if threshold is None else torch.from_numpy(np.ascontiguousarray(threshold, dtype=np.float32))
    none = torch.zeros(0, dtype=torch.int64)
    exactly = targets.screens_exactly
    step = FLOAT32_ROWS_PER_BLOCK if exactly else ROWS_PER_BLOCK
    for start in range(0, len(queries), step):
        q = as_tensor(queries[start : start + step])
        low = q.to(targets.low.dtype) @ targets.low.T
        if exactly:
            best = torch.topk(low, top, dim=1)
            scores, positions, m = best.values, best.indices, 0.0
        else:
            m = margin(float(torch.linalg.vector_norm(q, dim=1).max()), targets.norm, dim)
            scores, positions = _top(q, low, targets, top, m)
        if bound is None:
            yield Block(start, scores, positions, none, none, torch.zeros(0))
            continue
        screen_at = bound if exactly else _round_down(bound - m)
        # Most targets no row of the block can reach: a column maximum rules them out in one pass.
        cols = torch.nonzero(low.amax(dim=0) > screen_at, as_tuple=True)[0]
        rows, at = torch.nonzero(low[:, cols] > screen_at[cols], as_tuple=True)
        cols = cols[at]
        if exactly:
            yield Block(start, scores, positions, rows, cols, low[rows, cols])
            continue
        exact = torch.einsum("ij,ij->i", _rows(q, rows), _rows(targets.exact, cols))
        keep = exact > bound[cols]
        yield Block(start, scores, positions, rows[keep], cols[keep], exact[keep])


def _rows(matrix: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``matrix[index]`` for an index of any shape: ``index_select`` runs several times faster here."""
    return torch.index_select(matrix, 0, index.reshape(-1)).reshape(*index.shape, matrix.shape[1])


def _round_down(values: torch.Tensor) -> torch.Tensor:
    """``values`` in bfloat16, each rounded to one at most itself, so that a screened score above the rounded
    threshold includes every one above the threshold."""
    low = values.to(torch.bfloat16)
    up = low.float() > values
    low[up] = torch.nextafter(low[up], torch.full_like(low[up], float("-inf")))
    return low


def _top(q: torch.Tensor, low: torch.Tensor, targets: Screen, top: int, m: float) -> tuple[torch.Tensor, torch.Tensor]:
    n = low.shape[1]
    wide = min(n, top + EXTRA)
    if wide == n:
        # Few targets: every one is a candidate.
        best = torch.topk(q @ targets.exact.T, top, dim=1)
        return best.values, best.indices
    scores, positions, values = _rescored(q, low, targets, top, wide)
    # Complete only if everything left out screened below (k-th best - 2m): then it is exactly below.
    floor = values[:, top - 1] - 2 * m
    loose = torch.nonzero(values[:, -1] >= floor, as_tuple=True)[0]
    if len(loose):
        # Those rows again, wide enough to take every target screened at or above their floor.
        sub = low[loose]
        wider = int((sub >= floor[loose, None]).sum(dim=1).max())
        again = _rescored(q[loose], sub, targets, top, min(n, wider))
        scores[loose], positions[loose] = again[0], again[1]
    return scores, positions


def _rescored(
    q: torch.Tensor, low: torch.Tensor, targets: Screen, top: int, wide: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The exact top-``top`` among each row's ``wide`` best screened targets, and those screened scores."""
    screened = torch.topk(low, wide, dim=1)
    candidates = screened.indices
    exact = torch.bmm(_rows(targets.exact, candidates), q.unsqueeze(2)).squeeze(2)
    best = torch.topk(exact, top, dim=1)
    return best.values, candidates.gather(1, best.indices), screened.values.float()


def top_rows(queries: Vectors, targets: Screen, top: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Exact best ``top`` targets per query row, best first: ``(scores, positions)``."""
    top = min(top, len(targets))
    scores = np.empty((len(queries), top), dtype=np.float32)
    positions = np.empty((len(queries), top), dtype=np.int64)
    with torch.inference_mode():
        for block in screened_blocks(queries, targets, top):
            scores[block.start : block.start + len(block.scores)] = block.scores.numpy()
            positions[block.start : block.start + len(block.scores)] = block.positions.numpy()
    return scores, positions
