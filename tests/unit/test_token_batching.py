"""Token-budget batch planning and the one-ahead tokeniser thread (no model is loaded here)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from careerrank.encoding.token_batching import padded, plan_batches, prefetched, window_size, windows


def padded_tokens(batch: list[int], lengths: list[int]) -> int:
    return len(batch) * max(lengths[i] for i in batch)


def test_batches_are_longest_first_and_within_the_budget() -> None:
    lengths = [5, 50, 20, 20, 10, 40]
    batches = plan_batches(lengths, max_tokens=100)
    assert batches == [[1, 5], [2, 3, 4, 0]]
    assert all(padded_tokens(b, lengths) <= 100 for b in batches)


def test_a_text_over_the_budget_is_a_batch_of_its_own() -> None:
    lengths = [10, 300, 10, 10]
    batches = plan_batches(lengths, max_tokens=64)
    assert batches[0] == [1]
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3]
    assert all(padded_tokens(b, lengths) <= 64 for b in batches[1:])


def test_equal_lengths_keep_input_order_and_empty_input_has_no_batch() -> None:
    assert plan_batches([3, 3, 3, 3], max_tokens=6) == [[0, 1], [2, 3]]
    assert plan_batches([], max_tokens=10) == []
    # A zero-length text (a tokenizer that adds no special tokens) still counts as one token.
    assert plan_batches([0, 0], max_tokens=1) == [[0], [1]]


def test_the_budget_must_be_positive() -> None:
    with pytest.raises(ValueError):
        plan_batches([1], max_tokens=0)


@given(st.lists(st.integers(1, 600), max_size=200), st.integers(1, 4096))
def test_plan_property(lengths: list[int], budget: int) -> None:
    batches = plan_batches(lengths, budget)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for batch in batches:
        assert len(batch) == 1 or padded_tokens(batch, lengths) <= budget
    # Greedy: a batch is only closed when the next text would not fit in it.
    for batch in batches[:-1]:
        assert (len(batch) + 1) * lengths[batch[0]] > budget


def test_padded_fills_right_or_left_and_refuses_to_cut() -> None:
    np.testing.assert_array_equal(padded([[1, 2, 3], [4]], 3, value=9), [[1, 2, 3], [4, 9, 9]])
    np.testing.assert_array_equal(padded([[1, 2], [4]], 3, left=True), [[0, 1, 2], [0, 0, 4]])
    assert padded([[5]], 1).dtype == np.int64
    with pytest.raises(ValueError):
        padded([[1, 2, 3]], 2)


def test_windows_cut_in_order() -> None:
    assert windows([4, 2, 0, 1, 3], 2) == [[4, 2], [0, 1], [3]]
    assert windows([], 3) == []


def test_a_window_fills_a_batch_of_short_texts_within_bounds() -> None:
    assert window_size(8192) == 128
    assert window_size(16) == 64
    assert window_size(10**9) == 4096


def test_prefetched_keeps_order_and_prepares_on_another_thread() -> None:
    caller = threading.get_ident()
    seen: list[int] = []

    def prepare(item: int) -> int:
        seen.append(threading.get_ident())
        return item * 10

    assert list(prefetched(range(5), prepare)) == [0, 10, 20, 30, 40]
    assert caller not in seen


def test_prefetched_prepares_the_next_item_while_the_caller_works() -> None:
    started: list[int] = []
    next_started = threading.Event()

    def prepare(item: int) -> int:
        started.append(item)
        if item == 1:
            next_started.set()
        return item

    for item in prefetched(range(3), prepare):
        if item == 0:
            # The caller is busy with item 0: item 1 is being prepared meanwhile, not after.
            assert next_started.wait(timeout=5)


def test_prefetched_raises_at_the_failing_item() -> None:
    def prepare(item: int) -> int:
        if item == 2:
            raise RuntimeError("bad item")
        return item

    got = []
    with pytest.raises(RuntimeError, match="bad item"):
        for item in prefetched(range(4), prepare):
            got.append(item)
    assert got == [0, 1]


def test_prefetched_stops_when_the_caller_stops() -> None:
    calls: list[int] = []

    def prepare(item: int) -> int:
        calls.append(item)
        time.sleep(0.01)
        return item

    for item in prefetched(range(100), prepare):
        if item == 1:
            break
    assert len(calls) <= 4
