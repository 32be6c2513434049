"""Top-K list maintenance: exact lists for changed items, and where changed items enter other lists.

Invariant kept by the matcher: every stored list is the exact top-K of its source over all open
items of the opposite kind. For a batch of changes it is restored by
- a full search for each changed source and for each source whose list held a removed target;
- a rescore of each list that holds a changed target, or a full search where that target fell below the floor;
- a merge of ``old list ∪ new candidates`` for every other source that a changed target beats at its floor,
  since top-K(old ∪ new) = top-K(top-K(old) ∪ new) when no old entry went away.
Pure and blocking: the matcher runs it on its compute thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import torch

from careerrank.retrieval.blocks import as_tensor, by_score, ranked_row, score_blocks
from careerrank.retrieval.exact_index import ItemIndex
from schemas import KINDS, Kind, Ranked, opposite


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
        s: sorted(((t, float(sc)) for t, sc in zip(row_ids, row_scores, strict=False)), key=by_score)
        for s, row_ids, row_scores in zip(present, ids, scores, strict=True)
    }


def entering_candidates(
    sources: ItemIndex, targets: ItemIndex, changed_targets: Sequence[str], skip: set[str], k: int
) -> dict[str, Ranked]:
    """For every source not in ``skip``: the changed targets that score above its floor (best first)."""
    positions = [p for p in (targets.position(t) for t in changed_targets) if p is not None]
    if not positions or len(sources) == 0:
        return {}
    found = _Entering(sources)
    with torch.inference_mode():
        for start, block in score_blocks(targets.vectors()[positions], as_tensor(sources.vectors())):
            found.add(block.numpy(), start)
    return found.ranked([targets.ids[p] for p in positions], skip, k)


def place_new(
    items: ItemIndex, others: ItemIndex, new_ids: Sequence[str], skip: set[str], k: int
) -> tuple[dict[str, Ranked], dict[str, Ranked]]:
    """For items new or moved in ``items``: their own exact top-``k`` lists over ``others``, and, for every
    list of ``others`` not in ``skip``, the new items that beat its floor.

    One matrix product serves both: row ``i`` of ``new @ others.T`` holds item ``i``'s list, and column ``j``
    says which new items enter list ``j``: the scores :func:`search_lists` and :func:`entering_candidates`
    would each compute again.
    """
    positions = [p for p in (items.position(i) for i in new_ids) if p is not None]
    if not positions:
        return {}, {}
    present = [items.ids[p] for p in positions]
    if len(others) == 0:
        return {i: [] for i in present}, {}
    top = min(k, len(others))
    own: dict[str, Ranked] = {}
    found = _Entering(others)
    with torch.inference_mode():
        for start, block in score_blocks(items.vectors()[positions], as_tensor(others.vectors())):
            best = torch.topk(block, top, dim=1)
            for item_id, cols, scores in zip(
                present[start : start + len(block)], best.indices.tolist(), best.values.tolist(), strict=True
            ):
                own[item_id] = ranked_row(others.ids, cols, scores)
            found.add(block.numpy(), start)
    return own, found.ranked(present, skip, k)


class _Entering:
    """Collects (new item, list) pairs scoring above the list's floor, over blocks of new items."""

    def __init__(self, lists: ItemIndex) -> None:
        self._lists = lists
        self._rows: list[npt.NDArray[np.intp]] = []
        self._cols: list[npt.NDArray[np.intp]] = []
        self._scores: list[npt.NDArray[np.float32]] = []

    def add(self, block: npt.NDArray[np.float32], first_row: int) -> None:
        """``block[i, j]``: new item ``first_row + i`` scored against list ``j``."""
        rows, cols = np.nonzero(block > self._lists.floor[None, :])
        self._rows.append(rows + first_row)
        self._cols.append(cols)
        self._scores.append(block[rows, cols])

    def ranked(self, new_ids: Sequence[str], skip: set[str], k: int) -> dict[str, Ranked]:
        """Per list (not in ``skip``): the new items that beat its floor, best first, at most ``k``."""
        if not self._cols:
            return {}
        rows, cols, scores = np.concatenate(self._rows), np.concatenate(self._cols), np.concatenate(self._scores)
        order = np.argsort(cols, kind="stable")
        rows, cols, scores = rows[order], cols[order], scores[order]
        bounds = np.flatnonzero(np.diff(cols)) + 1
        out: dict[str, Ranked] = {}
        for group_rows, group_cols, group_scores in zip(
            np.split(rows, bounds), np.split(cols, bounds), np.split(scores, bounds), strict=True
        ):
            if not len(group_cols):
                continue
            list_id = self._lists.ids[int(group_cols[0])]
            if list_id in skip:
                continue
            entries = ((new_ids[r], s) for r, s in zip(group_rows.tolist(), group_scores.tolist(), strict=True))
            out[list_id] = sorted(entries, key=by_score)[:k]
        return out


# A rescored entry this far below the old floor is taken to have dropped out (float32 scores computed in
# another order differ by ~1e-7; the pipeline's lists are checked against brute force at 1e-4).
RESCORE_TOLERANCE = 1e-5


def rescore(
    sources: ItemIndex, targets: ItemIndex, source_id: str, old: Ranked, changed: set[str], k: int
) -> Ranked | None:
    """``old`` with the changed targets' scores recomputed, if that keeps it exact; None if a search is needed.

    Every target outside a full list scores at most its floor, so the list stays exact while each changed
    entry still scores at least the old floor; one that fell below it may have been overtaken by an outsider.
    A list that is not full holds every target already. The common case is a target whose vector did not
    move (a restart rebuilt the index, an update kept the text) or moved up.
    """
    source = sources.position(source_id)
    rows = [i for i, (t, _) in enumerate(old) if t in changed]
    found = [targets.position(old[i][0]) for i in rows]
    positions = [p for p in found if p is not None]
    if source is None or len(positions) < len(found):
        return None
    new = targets.vectors()[positions] @ sources.vectors()[source]
    floor = floor_of(old, k)
    if len(old) >= k and bool((new < floor - RESCORE_TOLERANCE).any()):
        return None
    updated = list(old)
    for i, score in zip(rows, new.tolist(), strict=True):
        updated[i] = (old[i][0], score)
    return sorted(updated, key=by_score)


def merge(old: Ranked, candidates: Ranked, k: int) -> Ranked:
    """Top-``k`` of the union; a target present in both keeps its new score."""
    best: dict[str, float] = dict(old)
    best.update(candidates)
    return sorted(best.items(), key=by_score)[:k]


def floor_of(ranked: Ranked, k: int) -> float:
    return ranked[-1][1] if len(ranked) >= k else float("-inf")


def floors_for(lists: Mapping[str, Ranked], k: int) -> dict[str, float]:
    return {source: floor_of(ranked, k) for source, ranked in lists.items()}


def changed_lists(
    indexes: Mapping[Kind, ItemIndex],
    upserted: Mapping[Kind, Sequence[str]],
    removed: Mapping[Kind, Sequence[str]],
    stale: Mapping[Kind, set[str]],
    holding: Mapping[Kind, Mapping[str, Ranked]],
    k: int,
) -> dict[Kind, tuple[dict[str, Ranked], dict[str, Ranked], dict[str, Ranked]]]:
    """The lists one batch changes, per source kind: ``(searched in full, rescored in place, candidates)``.

    ``indexes`` already hold the batch (upserts applied, removals gone). ``stale``: lists that held a removed
    target; ``holding``: the current lists that hold an upserted target. Candidates are merged by the caller
    into the old (or rescored) lists; removed sources' lists are deleted by the caller.
    """
    to_search: dict[Kind, set[str]] = {}
    rescored: dict[Kind, dict[str, Ranked]] = {}
    for kind in KINDS:
        sources, targets = indexes[kind], indexes[opposite(kind)]
        gone = set(removed[kind])
        to_search[kind] = set(upserted[kind]) | (stale[kind] - gone)
        rescored[kind] = {}
        changed = set(upserted[opposite(kind)])
        for source, old in holding[kind].items():
            if source in to_search[kind] or source in gone:
                continue
            fixed = rescore(sources, targets, source, old, changed, k)
            if fixed is None:
                to_search[kind].add(source)
            else:
                rescored[kind][source] = fixed
    full: dict[Kind, dict[str, Ranked]] = {}
    candidates: dict[Kind, dict[str, Ranked]] = {}
    for kind in KINDS:
        other = opposite(kind)
        sources, targets = indexes[kind], indexes[other]
        own, candidates[other] = place_new(
            sources, targets, upserted[kind], skip=to_search[other] | set(removed[other]), k=k
        )
        rest = sorted(to_search[kind] - set(own))
        full[kind] = {**own, **search_lists(sources, targets, rest, k)}
        # A source to search that is no longer indexed has left too: its list goes.
        full[kind].update({s: [] for s in to_search[kind] if s not in sources})
    return {kind: (full[kind], rescored[kind], candidates[kind]) for kind in KINDS}
