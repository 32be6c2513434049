"""All-pairs top-K in both directions from one blocked score matrix, against a brute-force sort."""

from __future__ import annotations

import numpy as np
import pytest

from careerrank.retrieval.all_pairs import TopK, block_rows_for, ranked_rows, top_k_both
from careerrank.vectors import normalise


def unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    return normalise(rng.standard_normal((n, dim)))


def brute(sources: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    scores = sources @ targets.T
    return -np.sort(-scores, axis=1)[:, :k]


@pytest.mark.parametrize(("n_v", "n_r", "block"), [(37, 23, 5), (23, 37, 64), (100, 11, 7), (5, 3, 1)])
def test_both_directions_equal_brute_force_for_any_block_size(n_v: int, n_r: int, block: int) -> None:
    rng = np.random.default_rng(n_v * 100 + n_r)
    v, r = unit(rng, n_v), unit(rng, n_r)
    v_top, r_top = top_k_both(v, r, 10, device="cpu", block_rows=block)
    np.testing.assert_allclose(v_top.scores, brute(v, r, 10), atol=1e-5)
    np.testing.assert_allclose(r_top.scores, brute(r, v, 10), atol=1e-5)
    # Each position's score is its true score (a right score with a wrong id would pass the check above).
    full = v @ r.T
    rows = np.arange(n_v)[:, None]
    np.testing.assert_allclose(full[rows, v_top.positions], v_top.scores, atol=1e-5)
    np.testing.assert_allclose(full.T[np.arange(n_r)[:, None], r_top.positions], r_top.scores, atol=1e-5)
    assert v_top.positions.shape == (n_v, min(10, n_r))
    assert r_top.positions.shape == (n_r, min(10, n_v))
    # No target twice in a list.
    assert all(len(set(row)) == len(row) for row in r_top.positions.tolist())


def test_an_empty_side_gives_empty_rows() -> None:
    v = unit(np.random.default_rng(0), 4)
    v_top, r_top = top_k_both(v, np.zeros((0, 16), np.float32), 10, device="cpu")
    assert v_top.positions.shape == (4, 0) and len(r_top) == 0


def test_ranked_rows_break_ties_by_id_like_the_incremental_path() -> None:
    top = TopK(np.asarray([[2, 0, 1]]), np.asarray([[0.5, 0.5, 0.25]], dtype=np.float32))
    assert ranked_rows(top, ["b", "c", "a"]) == [[("a", 0.5), ("b", 0.5), ("c", 0.25)]]


def test_block_rows_fit_the_memory_budget() -> None:
    assert block_rows_for(45_000, "cpu", budget_bytes=4 * 45_000 * 1000) == 1000
    assert block_rows_for(10**9, "cpu") == 64  # never below a useful block
