"""Token-budget batching: length-sorted batches bounded by padded tokens, prepared one step ahead on a thread.

A transformer's cost grows with the padded tensor, ``texts x longest text``, not with the number of texts.
Batching by count pads a short text to the longest one beside it and gives batches of very different
cost; sorting by length and capping the padded tokens makes every batch about the same size and wastes
almost nothing on padding.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import numpy.typing as npt

T = TypeVar("T")
U = TypeVar("U")


def plan_batches(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Indices into ``lengths`` grouped longest first, each group within ``max_tokens`` padded tokens.

    A group's padded size is its count times its longest length. A text longer than the budget on its
    own is a group of one. Equal lengths keep their input order, so the plan is deterministic.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        # Longest first: the group's longest text is its first, so adding one costs `longest` more tokens.
        if current and (len(current) + 1) * longest > max_tokens:
            batches.append(current)
            current = []
        if not current:
            longest = max(lengths[i], 1)
        current.append(i)
    if current:
        batches.append(current)
    return batches


def padded(
    sequences: Sequence[Sequence[int]], width: int, value: int = 0, *, left: bool = False
) -> npt.NDArray[np.int64]:
    """The sequences as rows of one ``(len(sequences), width)`` array, filled with ``value`` on the right
    (or on the left); a sequence longer than ``width`` is an error, not cut."""
    out = np.full((len(sequences), width), value, dtype=np.int64)
    for row, sequence in enumerate(sequences):
        if len(sequence) > width:
            raise ValueError(f"a sequence of {len(sequence)} does not fit in width {width}")
        if left:
            out[row, width - len(sequence) :] = sequence
        else:
            out[row, : len(sequence)] = sequence
    return out


def window_size(max_tokens: int) -> int:
    """Texts to tokenise at a time for batches of ``max_tokens``: enough to fill a batch of 64-token texts
    (fewer would cut batches short), at most 4,096 (the first window is tokenised before any forward)."""
    return min(max(max_tokens // 64, 64), 4096)


def windows(order: Sequence[int], size: int) -> list[list[int]]:
    """``order`` cut into consecutive windows of ``size`` items (the last one may be shorter)."""
    return [list(order[start : start + size]) for start in range(0, len(order), size)]


def prefetched(items: Iterable[T], prepare: Callable[[T], U], ahead: int = 1) -> Iterator[U]:
    """``prepare(item)`` for each item, in order, computed on one worker thread up to ``ahead`` items early.

    While the caller works on one result (a forward pass, which releases the GIL), the worker prepares
    the next (tokenisation, which does too). An exception in ``prepare`` is raised at its item.
    """
    source = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="careerrank-tokenise") as pool:
        pending: deque[Future[U]] = deque()

        def submit_next() -> None:
            for item in source:
                pending.append(pool.submit(prepare, item))
                return

        for _ in range(max(ahead, 1)):
            submit_next()
        try:
            while pending:
                result = pending.popleft().result()
                submit_next()
                yield result
        finally:
            for future in pending:
                future.cancel()
