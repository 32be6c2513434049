"""A list's top, chosen: pure pieces of the ranking (:mod:`careerrank.scoring.list_ranking`) that touch no
storage. Every check of a ranked list orders candidates the same way: by score, then cosine, then id."""

from __future__ import annotations

import numpy as np

from careerrank.scoring.active_model import COSINE
from careerrank.scoring.postings import Posting
from careerrank.storage.ranked_lists import CandidateList, RankedList


def pair_of(source: Posting, target: Posting) -> tuple[Posting, Posting]:
    """(vacancy, resume) of a list's source and one of its candidates."""
    return (source, target) if source.kind == "vacancy" else (target, source)


def best_positions(scores: np.ndarray, cosines: np.ndarray, targets: list[Posting], top: int) -> list[int]:
    """Positions of the ``top`` best candidates: by score, then cosine, then id (as every check ranks them)."""
    order = np.argsort(-scores, kind="stable")[: top + 1]
    ahead = scores[order]
    if (ahead[1:] == ahead[:-1]).any():  # rare: equal scores within the shown rows or at their edge
        return sorted(range(len(targets)), key=lambda n: (-scores[n], -cosines[n], targets[n].id))[:top]
    result: list[int] = order[:top].tolist()
    return result


def cosine_top(candidates: CandidateList, top: int) -> RankedList:
    """The list's top while no model is active: its first candidates by cosine, with no flag and no reasons."""
    shown = candidates.target_ids[:top]
    cosines = candidates.cosines[:top]
    return RankedList(
        candidates.direction,
        candidates.source_id,
        shown,
        cosines,
        cosines,
        None,
        [[] for _ in shown],
        COSINE,
        candidates.computed_at,
    )
