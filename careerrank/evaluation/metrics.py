"""Retrieval metrics for one direction: precision@k, nDCG@k, recall@k against graded judgments."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# grade(query_id, candidate_id) -> 0, 1, 2 (1+ counts as relevant), or None when nobody judged the pair.
Grader = Callable[[str, str], int | None]


@dataclass(frozen=True, slots=True)
class DirectionScores:
    precision_at_10: float
    ndcg_at_10: float
    recall_at_100: float | None  # None when the number of relevant items per query is unknown
    judged_at_10: float  # share of top-10 pairs that have a judgment (1.0 on synthetic data)
    queries: int


def evaluate_direction(
    ranked: Sequence[Sequence[str]],
    query_ids: Sequence[str],
    grade: Grader,
    relevant_counts: Sequence[int] | None = None,
    ideal_grades: Sequence[Sequence[int]] | None = None,
) -> DirectionScores:
    """Score ranked candidate lists (best first, at least 100 long where possible) of each query.

    Unjudged pairs count as not relevant (the pessimistic convention of pooled evaluation);
    ``judged_at_10`` says how much that convention matters.
    """
    p10, ndcg, recall, judged = [], [], [], []
    for q, (query, candidates) in enumerate(zip(query_ids, ranked, strict=True)):
        grades = [grade(query, c) for c in candidates[:100]]
        top = grades[:10]
        judged.append(sum(g is not None for g in top) / max(1, len(top)))
        relevant_top = [1 if (g or 0) >= 1 else 0 for g in top]
        p10.append(sum(relevant_top) / 10)
        gains = [(2 ** (g or 0)) - 1 for g in top]
        ideal = sorted(ideal_grades[q] if ideal_grades is not None else [g or 0 for g in grades], reverse=True)[:10]
        idcg = _dcg([(2**g) - 1 for g in ideal])
        ndcg.append(_dcg(gains) / idcg if idcg > 0 else 0.0)
        if relevant_counts is not None:
            total = relevant_counts[q]
            if total > 0:
                recall.append(sum(1 for g in grades if (g or 0) >= 1) / total)
    return DirectionScores(
        precision_at_10=float(np.mean(p10)) if p10 else 0.0,
        ndcg_at_10=float(np.mean(ndcg)) if ndcg else 0.0,
        recall_at_100=float(np.mean(recall)) if recall else None,
        judged_at_10=float(np.mean(judged)) if judged else 0.0,
        queries=len(query_ids),
    )


def top_k(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    """Indices of the ``k`` highest scores per row, best first."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def _dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))
