"""The judged queries' lists as a recruiter would see them: each query's exact cosine top candidates, re-ranked by
the model of the fold that held the query out, its top ten shown with the suitable flag.

Measured per direction (unjudged pairs count as not relevant, as in the quality table):
- precision@10 and nDCG@10 of the cosine and the learned lists, and of condensed lists (judged pairs only);
- the suitable flag in the shown rows: its precision and recall among the judged rows, the share of shown rows
  flagged, and how many lists show no suitable row at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from typing import Any

import numpy as np

from careerrank.evaluation.judged_training import CrossValidated, Group
from careerrank.evaluation.metrics import DirectionScores, Grader, evaluate_direction

SHOWN = 10


@dataclass(frozen=True, slots=True)
class QueryCandidates:
    """One judged query's cosine top candidates (best first) and their feature rows."""

    group: Group
    candidates: list[str]
    features: np.ndarray


@dataclass(frozen=True, slots=True)
class FlagCounts:
    """The suitable flag over the shown rows of one direction's lists."""

    shown: int = 0
    flagged: int = 0
    judged: int = 0
    judged_relevant: int = 0
    judged_flagged: int = 0
    relevant_flagged: int = 0
    lists: int = 0
    lists_without_suitable: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "shown_rows": self.shown,
            "share_flagged": round(self.flagged / self.shown, 4) if self.shown else None,
            "judged_rows": self.judged,
            "precision": round(self.relevant_flagged / self.judged_flagged, 4) if self.judged_flagged else None,
            "recall": round(self.relevant_flagged / self.judged_relevant, 4) if self.judged_relevant else None,
            "lists": self.lists,
            "lists_without_suitable": self.lists_without_suitable,
        }


@dataclass(frozen=True, slots=True)
class DirectionLists:
    lists: dict[str, DirectionScores]  # "cosine", "learned" and their "*_judged_only"
    flag: FlagCounts
    # The best precision@10 any order of the candidates could reach by the judgments: min(10, relevant)/10 per
    # query, averaged. A sample whose vacancies have few relevant resumes caps every re-ranker there.
    ceiling_precision_at_10: float


def _flag_counts(shown: Sequence[tuple[str, bool]], query: str, grader: Grader) -> FlagCounts:
    grades = [grader(query, c) for c, _ in shown]
    judged = [(g >= 1, f) for g, (_, f) in zip(grades, shown, strict=True) if g is not None]
    flagged = sum(f for _, f in shown)
    return FlagCounts(
        shown=len(shown),
        flagged=flagged,
        judged=len(judged),
        judged_relevant=sum(r for r, _ in judged),
        judged_flagged=sum(f for _, f in judged),
        relevant_flagged=sum(r and f for r, f in judged),
        lists=1,
        lists_without_suitable=int(flagged == 0),
    )


def _add(a: FlagCounts, b: FlagCounts) -> FlagCounts:
    return FlagCounts(*(x + y for x, y in zip(astuple(a), astuple(b), strict=True)))


def rank_direction(
    queries: Sequence[QueryCandidates],
    cv: CrossValidated,
    folds: Mapping[Group, int],
    grader: Grader,
    ideal: Mapping[str, list[int]],
) -> DirectionLists:
    """The lists of one direction's queries, ranked by ``cv``'s models, and what they measure."""
    ranked: dict[str, list[list[str]]] = defaultdict(list)
    flag = FlagCounts()
    ceiling = []
    for q in queries:
        fold, query = folds[q.group], q.group[1]
        probabilities = cv.probabilities(fold, q.features)
        order = np.argsort(-probabilities, kind="stable")
        learned = [q.candidates[i] for i in order]
        for name, chosen in (("cosine", q.candidates), ("learned", learned)):
            ranked[name].append(chosen)
            ranked[f"{name}_judged_only"].append([c for c in chosen if grader(query, c) is not None])
        shown = [(q.candidates[i], bool(probabilities[i] >= cv.thresholds[fold])) for i in order[:SHOWN]]
        flag = _add(flag, _flag_counts(shown, query, grader))
        ceiling.append(min(SHOWN, sum((grader(query, c) or 0) >= 1 for c in q.candidates)) / SHOWN)
    ids = [q.group[1] for q in queries]
    lists = {
        name: evaluate_direction(lists_, ids, grader, None, [ideal.get(i, []) for i in ids])
        for name, lists_ in ranked.items()
    }
    return DirectionLists(lists, flag, float(np.mean(ceiling)) if ceiling else 0.0)
