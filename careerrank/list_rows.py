"""Lists of one direction as arrays: what the matcher computes and the storage writes, with no object per entry.

A batch at the prototype's scale rewrites some twenty thousand lists of ten entries; built as ``(id, score)``
tuples and formatted back into text, those entries cost about as much as the PostgreSQL write itself. As
arrays they go straight into COPY's binary format (:mod:`careerrank.storage.copy_binary`). Read as a mapping
(source id to :data:`~schemas.Ranked`, an empty list for a source whose list goes), they stay what every
other reader of lists expects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from schemas import Ranked


@dataclass(frozen=True)
class ListRows(Mapping[str, Ranked]):
    """Row ``i`` is the list of ``sources[i]``: its first ``lengths[i]`` entries of ``positions`` (into
    ``targets``) and ``scores``, best first, ties in id order. ``removed``: sources whose lists are deleted."""

    sources: Sequence[str]
    positions: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]
    lengths: npt.NDArray[np.intp]
    targets: Sequence[str]
    removed: Sequence[str] = ()
    _row: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_row", {source: row for row, source in enumerate(self.sources)})

    @classmethod
    def best_first(
        cls,
        sources: Sequence[str],
        positions: npt.NDArray[np.integer],
        scores: npt.NDArray[np.float32],
        lengths: npt.NDArray[np.integer],
        targets: Sequence[str],
        removed: Sequence[str] = (),
    ) -> ListRows:
        """Rows of a top-k, best first: equal scores put in id order, as every computation of a list does;
        a row with no entry is a list removed, with ``removed``."""
        pos = positions.astype(np.int64)
        score = scores.astype(np.float32)  # copies: the tie order is written into them
        held_n = lengths.astype(np.intp)
        # Rows with equal scores are the only ones whose order the id decides.
        tied = np.flatnonzero(((score[:, 1:] == score[:, :-1]) & (score[:, 1:] > -np.inf)).any(axis=1))
        for row in tied.tolist():
            n = int(held_n[row])
            order = sorted(range(n), key=lambda j: (-float(score[row, j]), targets[pos[row, j]]))
            pos[row, :n], score[row, :n] = pos[row, order], score[row, order]
        held = held_n > 0
        kept = [source for source, h in zip(sources, held.tolist(), strict=True) if h]
        empty = [source for source, h in zip(sources, held.tolist(), strict=True) if not h]
        return cls(kept, pos[held], score[held], held_n[held], targets, [*empty, *removed])

    @classmethod
    def of(cls, lists: Mapping[str, Ranked]) -> ListRows:
        """Lists given entry by entry (each in the order it is to be stored); an empty one is removed."""
        if isinstance(lists, ListRows):
            return lists
        kept = [(source, ranked) for source, ranked in lists.items() if ranked]
        targets = sorted({target for _, ranked in kept for target, _ in ranked})
        at = {target: p for p, target in enumerate(targets)}
        width = max((len(ranked) for _, ranked in kept), default=0)
        positions = np.zeros((len(kept), width), np.int64)
        scores = np.zeros((len(kept), width), np.float32)
        for row, (_, ranked) in enumerate(kept):
            positions[row, : len(ranked)] = [at[target] for target, _ in ranked]
            scores[row, : len(ranked)] = [score for _, score in ranked]
        lengths = np.asarray([len(ranked) for _, ranked in kept], dtype=np.intp)
        removed = [source for source, ranked in lists.items() if not ranked]
        return cls([source for source, _ in kept], positions, scores, lengths, targets, removed)

    @property
    def entries(self) -> int:
        """Entries of the lists written (the removed ones have none)."""
        return int(self.lengths.sum())

    def __getitem__(self, source: str) -> Ranked:
        row = self._row.get(source)
        if row is None:
            if source in self.removed:
                return []
            raise KeyError(source)
        n = int(self.lengths[row])
        targets = [self.targets[p] for p in self.positions[row, :n].tolist()]
        return list(zip(targets, self.scores[row, :n].tolist(), strict=True))

    def __iter__(self) -> Iterator[str]:
        yield from self.sources
        yield from (source for source in self.removed if source not in self._row)

    def __len__(self) -> int:
        return len(self.sources) + sum(1 for source in self.removed if source not in self._row)
