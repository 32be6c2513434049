"""Every top-K list in both directions at once, from one score matrix.

``scores = vacancies @ resumes.T`` holds both directions: a vacancy's list is the top-K of its row, a
resume's list the top-K of its column. The matrix is computed in blocks of vacancy rows (bounded memory),
each block once: row top-K gives the block's vacancy lists, and a column top-K merged into a running top-K
per resume gives the resume lists when the last block is done. Exact, in float32, so half the work of
searching each direction separately.

Runs with torch on the GPU when there is one (or ``device="cpu"``); on a CPU too the blocked product beats
FAISS' flat search, whose per-query heaps cost more than the product (``scripts/bench``, stage
``vector_search``). Blocking; call it from a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from careerrank.retrieval.blocks import as_tensor, ranked_row, score_blocks
from careerrank.vectors import Vectors
from schemas import Ranked


@dataclass(frozen=True)
class TopK:
    """Lists of one direction: row ``i`` holds positions into the other kind, best first, and their scores."""

    positions: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.positions)


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def block_rows_for(n_columns: int, device: str, budget_bytes: int | None = None) -> int:
    """Rows per block so that one block of float32 scores (plus its top-K work) fits the budget."""
    budget = budget_bytes or (2 << 30 if device.startswith("cuda") else 512 << 20)
    return int(max(64, min(65_536, budget // max(1, 4 * n_columns))))


def top_k_both(
    vacancies: Vectors,
    resumes: Vectors,
    k: int,
    device: str = "auto",
    block_rows: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[TopK, TopK]:
    """Exact top-``k`` by inner product: (each vacancy's resumes, each resume's vacancies).

    A side with fewer than ``k`` items gives shorter rows; an empty side gives rows of length 0.
    ``progress`` is called with the number of vacancy rows finished after each block.
    """
    device = resolve_device(device)
    n_v, n_r = len(vacancies), len(resumes)
    k_v, k_r = min(k, n_r), min(k, n_v)
    v_top = TopK(np.zeros((n_v, k_v), np.int64), np.zeros((n_v, k_v), np.float32))
    r_top = TopK(np.zeros((n_r, k_r), np.int64), np.zeros((n_r, k_r), np.float32))
    if n_v == 0 or n_r == 0:
        return v_top, r_top
    rows = block_rows or block_rows_for(n_r, device)
    with torch.inference_mode():
        best_scores = torch.full((k_r, n_r), float("-inf"), device=device)
        best_rows = torch.zeros((k_r, n_r), dtype=torch.int64, device=device)
        for start, scores in score_blocks(vacancies, as_tensor(resumes, device), rows):
            top = torch.topk(scores, k_v, dim=1)
            v_top.scores[start : start + len(scores)] = top.values.cpu().numpy()
            v_top.positions[start : start + len(scores)] = top.indices.cpu().numpy()
            col = torch.topk(scores, min(k_r, len(scores)), dim=0)
            merged_scores = torch.cat([best_scores, col.values])
            merged_rows = torch.cat([best_rows, col.indices + start])
            keep = torch.topk(merged_scores, k_r, dim=0)
            best_scores = keep.values
            best_rows = torch.gather(merged_rows, 0, keep.indices)
            if progress is not None:
                progress(len(scores))
        r_top.scores[:] = best_scores.T.cpu().numpy()
        r_top.positions[:] = best_rows.T.cpu().numpy()
    return v_top, r_top


def ranked_rows(top: TopK, target_ids: list[str]) -> list[Ranked]:
    """Lists as ``(target_id, score)`` pairs, ties in id order as everywhere else."""
    return [
        ranked_row(target_ids, positions, scores)
        for positions, scores in zip(top.positions.tolist(), top.scores.tolist(), strict=True)
    ]
