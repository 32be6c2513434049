"""Top-K list maintenance: exact lists for changed items, and where changed items enter other lists.

Invariant kept by the matcher: every stored list is the exact top-K of its source over all open
items of the opposite kind. For a batch of changes it is restored by
- a full search for each changed source and for each source whose list held a removed or changed target;
- a merge of ``old list ∪ new candidates`` for every other source that a changed target beats at its floor,
  since top-K(old ∪ new) = top-K(top-K(old) ∪ new) when no old entry went away.
Pure and blocking: the matcher runs it on its compute thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from careerrank.vector_index import ItemIndex

Ranked = list[tuple[str, float]]

# Rows of the source matrix scored at once: bounds memory at ROW_CHUNK x batch floats.
ROW_CHUNK = 16_384


@dataclass
class ListChanges:
    """New lists for one source kind: ``full`` are searched from scratch, ``candidates`` need a merge."""

    full: dict[str, Ranked] = field(default_factory=dict)
    candidates: dict[str, Ranked] = field(default_factory=dict)


def search_lists(sources: ItemIndex, targets: ItemIndex, source_ids: Sequence[str], k: int) -> dict[str, Ranked]:
    """Exact top-``k`` of ``targets`` for each of ``source_ids`` (all present in ``sources``)."""
    if not source_ids:
        return {}
    all_vectors = sources.vectors()
    positions = [sources.position(s) for s in source_ids]
    queries = all_vectors[[p for p in positions if p is not None]]
    present = [s for s, p in zip(source_ids, positions, strict=True) if p is not None]
    scores, ids = targets.search(queries, k)
    return {
        s: sorted(((t, float(sc)) for t, sc in zip(row_ids, row_scores, strict=False)), key=_by_score)
        for s, row_ids, row_scores in zip(present, ids, scores, strict=True)
    }


def entering_candidates(
    sources: ItemIndex, targets: ItemIndex, changed_targets: Sequence[str], skip: set[str], k: int
) -> dict[str, Ranked]:
    """For every source not in ``skip``: the changed targets that score above its floor (best first)."""
    positions = [p for p in (targets.position(t) for t in changed_targets) if p is not None]
    if not positions or len(sources) == 0:
        return {}
    target_ids = [targets.ids[p] for p in positions]
    target_vectors = targets.vectors()[positions]
    source_vectors = sources.vectors()
    out: dict[str, Ranked] = {}
    for start in range(0, len(sources), ROW_CHUNK):
        block = source_vectors[start : start + ROW_CHUNK] @ target_vectors.T
        floors = sources.floor[start : start + ROW_CHUNK]
        above = block > floors[:, None]
        for row in np.flatnonzero(above.any(axis=1)):
            source_id = sources.ids[start + row]
            if source_id in skip:
                continue
            cols = np.flatnonzero(above[row])
            ranked = sorted(((target_ids[c], float(block[row, c])) for c in cols), key=_by_score)
            out[source_id] = ranked[:k]
    return out


def merge(old: Ranked, candidates: Ranked, k: int) -> Ranked:
    """Top-``k`` of the union; a target present in both keeps its new score."""
    best: dict[str, float] = dict(old)
    best.update(candidates)
    return sorted(best.items(), key=_by_score)[:k]


def floor_of(ranked: Ranked, k: int) -> float:
    return ranked[-1][1] if len(ranked) >= k else float("-inf")


def floors_for(lists: Mapping[str, Ranked], k: int) -> dict[str, float]:
    return {source: floor_of(ranked, k) for source, ranked in lists.items()}


def _by_score(item: tuple[str, float]) -> tuple[float, str]:
    # Ties broken by id so every recomputation gives the same order.
    return (-item[1], item[0])
