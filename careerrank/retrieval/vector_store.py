"""One kind's vectors in a growable buffer, with the bfloat16 copy the screen multiplies, kept in step.

A batch at the prototype's scale adds a few dozen vectors to an index of 100k; rebuilding the screen's
bfloat16 copy from every vector, or closing up the rows behind a removal, costs far more than the batch's
own search. Here each change costs what it touches: rows are appended into spare capacity (grown by half
when full), replaced in place, and a removal moves the last rows into the holes it leaves.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import torch

from careerrank.retrieval import screen as screening
from careerrank.retrieval.screen import Screen
from careerrank.vectors import Vectors


class VectorStore:
    """Rows of float32 vectors, row ``i`` at position ``i``; the bfloat16 copy where the CPU multiplies it."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._n = 0
        self._exact: npt.NDArray[np.float32] = np.zeros((0, dim), dtype=np.float32)
        native = screening.native_bfloat16()
        self._low: torch.Tensor | None = torch.zeros((0, dim), dtype=torch.bfloat16) if native else None
        # The largest norm of any vector held since the store was filled: an upper bound of the current one,
        # which is all the screen's margin needs (a removal never makes it wrong, only generous).
        self._norm = 0.0

    def __len__(self) -> int:
        return self._n

    def view(self) -> Vectors:
        """A read-only view of the rows held."""
        view = self._exact[: self._n]
        view.flags.writeable = False
        return view

    def screen(self) -> Screen:
        """The rows as the screen reads them: shared with the buffer, valid until the next change."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            exact = torch.from_numpy(self._exact[: self._n])
        low = exact if self._low is None else self._low[: self._n]
        return Screen(exact, low, self._norm)

    def append(self, rows: Vectors) -> None:
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        start, end = self._n, self._n + len(rows)
        self._reserve(end)
        self._n = end
        self.write(np.arange(start, end), rows)

    def write(self, positions: npt.NDArray[np.intp], rows: Vectors) -> None:
        """Replace rows at ``positions`` (each at most once)."""
        if not len(positions):
            return
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        self._exact[positions] = rows
        tensor = torch.from_numpy(rows)
        if self._low is not None:
            self._low[torch.from_numpy(np.asarray(positions, dtype=np.int64))] = tensor.to(torch.bfloat16)
        self._norm = max(self._norm, float(torch.linalg.vector_norm(tensor, dim=1).max()))

    def move(self, source: npt.NDArray[np.intp], dest: npt.NDArray[np.intp], length: int) -> None:
        """Rows at ``source`` go to ``dest``; then only the first ``length`` rows are held."""
        self._exact[dest] = self._exact[source]
        if self._low is not None and len(source):
            self._low[torch.from_numpy(dest.astype(np.int64))] = self._low[torch.from_numpy(source.astype(np.int64))]
        self._n = length

    def _reserve(self, n: int) -> None:
        capacity = len(self._exact)
        if n <= capacity:
            return
        capacity = max(n, capacity + capacity // 2, 1024)
        exact = np.empty((capacity, self.dim), dtype=np.float32)
        exact[: self._n] = self._exact[: self._n]
        self._exact = exact
        if self._low is not None:
            low = torch.empty((capacity, self.dim), dtype=torch.bfloat16)
            low[: self._n] = self._low[: self._n]
            self._low = low
