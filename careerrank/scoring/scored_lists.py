"""What the ranking remembers of each list between rounds, so that a list that changed costs its new pairs only.

Per list ranked: the model and the source's version it was ranked under; every candidate's score and cosine
with the posting of the target they were computed from; the shown rows in order, each with the contributions its
reasons are worded from (:func:`~careerrank.scoring.explanations.strongest`, a few dozen bytes). When the matcher
changes the list again — most often one target entering it and the last one leaving — only the pairs that are
new (a target that entered, or whose posting or the source's moved on) are scored, only the pairs entering the
shown rows are explained, and a list whose shown rows stay as they were is not written at all.

Bounded, least recently ranked out first: a forgotten list, like every list after a restart or one that another
scorer process ranked last, is scored whole the next time, as the first time. A list whose source closed is
forgotten when its ranking is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from careerrank.scoring.postings import Posting
from schemas import Direction

ListKey = tuple[Direction, str]


@dataclass(frozen=True, slots=True)
class ScoredList:
    """One list as last ranked (arrays, no object per candidate: a million lists fit a scorer's memory)."""

    model: str
    source_version: datetime
    # The candidates' postings as scored: the ranking's cache replaces a posting that moves on, so the same
    # object is the same version (held here, an old one stays alive until the list is ranked again).
    targets: tuple[Posting, ...]
    scores: np.ndarray  # float32, the model's
    cosines: np.ndarray  # float32
    shown: tuple[str, ...]  # the shown targets' ids, best first
    strongest: tuple[np.ndarray, ...]  # per shown target, what its reasons are worded from

    def positions(self) -> dict[int, int]:
        """Each candidate's position by the identity of its posting object."""
        return {id(target): i for i, target in enumerate(self.targets)}


class ScoredLists:
    """The remembered lists of one scorer process. One owner thread."""

    def __init__(self, capacity: int) -> None:
        self._lists: OrderedDict[ListKey, ScoredList] = OrderedDict()
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._lists)

    def recall(self, key: ListKey, model: str, source_version: datetime) -> ScoredList | None:
        """The list as last ranked, if that was under ``model`` with the source at ``source_version``."""
        held = self._lists.get(key)
        if held is None or held.model != model or held.source_version != source_version:
            return None
        return held

    def keep(self, key: ListKey, scored: ScoredList) -> None:
        self._lists[key] = scored
        self._lists.move_to_end(key)

    def forget(self, keys: Iterable[ListKey]) -> None:
        for key in keys:
            self._lists.pop(key, None)

    def trim(self) -> None:
        """Forget the least recently ranked lists beyond the capacity. Called once a round has taken its tops:
        a round needs every list it recalled until then, however many it ranks."""
        while len(self._lists) > self._capacity:
            self._lists.popitem(last=False)

    def clear(self) -> None:
        self._lists.clear()
