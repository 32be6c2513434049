"""The bfloat16 screen: answers must equal exact float32 ones, and the margin must be what makes them so."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from careerrank.retrieval import screen
from careerrank.retrieval.screen import Screen, margin, screened_blocks, top_rows


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def near_ties(rng: np.random.Generator, n: int, dim: int, spread: float) -> np.ndarray:
    """``n`` unit vectors scattered by ``spread`` around one direction: scores within bfloat16's error."""
    base = rng.standard_normal(dim)
    return unit(base + spread * rng.standard_normal((n, dim)))


def exact_top(queries: np.ndarray, targets: np.ndarray, top: int) -> np.ndarray:
    return -np.sort(-(queries.astype(np.float64) @ targets.T.astype(np.float64)), axis=1)[:, :top]


def test_margin_bounds_the_screened_error() -> None:
    rng = np.random.default_rng(0)
    for dim in (4, 64, 256):
        queries = unit(rng.standard_normal((64, dim)) ** 3)  # a few large coordinates, many tiny ones
        targets = unit(rng.standard_normal((500, dim)))
        low = torch.from_numpy(queries).bfloat16() @ torch.from_numpy(targets).bfloat16().T
        error = np.abs(low.float().numpy() - queries.astype(np.float64) @ targets.T.astype(np.float64))
        assert error.max() <= margin(1.0, 1.0, dim)
        # And the bound is not vacuous: the screen does round.
        assert error.max() > 1e-4


@pytest.fixture(params=[True, False], ids=["bfloat16", "float32"])
def native(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both screens: bfloat16 where the CPU multiplies it natively, float32 where it would be emulated."""
    monkeypatch.setattr(screen, "native_bfloat16", lambda: request.param)
    return bool(request.param)


@pytest.mark.parametrize("extra", [0, 1, 4, 108])
@pytest.mark.parametrize("spread", [1e-3, 1e-2, 1.0])
def test_top_rows_equal_exact_top_k(extra: int, spread: float, native: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen, "EXTRA", extra)
    monkeypatch.setattr(screen, "ROWS_PER_BLOCK", 7)
    rng = np.random.default_rng(int(spread * 1000) + extra)
    targets = near_ties(rng, 300, 32, spread)
    queries = near_ties(rng, 20, 32, spread)
    scores, positions = top_rows(queries, Screen.of(targets), 10)
    expected = exact_top(queries, targets, 10)
    np.testing.assert_allclose(scores, expected, atol=1e-6)
    # Each position's own exact score is the one reported (no stale or swapped ids).
    np.testing.assert_allclose(np.einsum("ij,ikj->ik", queries, targets[positions]), scores, atol=1e-6)


def test_hits_are_every_exact_score_above_the_threshold(native: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen, "ROWS_PER_BLOCK", 16)
    rng = np.random.default_rng(3)
    targets = near_ties(rng, 400, 32, 1e-2)
    queries = near_ties(rng, 50, 32, 1e-2)
    exact = queries @ targets.T
    # Thresholds just under some exact scores: the screen alone cannot tell which side they are on.
    threshold = (exact[rng.integers(0, 50, 400), np.arange(400)] - 1e-6).astype(np.float32)
    threshold[::7] = np.inf  # a list that knows nothing yet takes no one
    threshold[::11] = -np.inf  # a list that holds every target takes everyone
    got = set()
    for block in screened_blocks(queries, Screen.of(targets), 5, threshold):
        rows = (block.hit_rows + block.start).tolist()
        got |= set(zip(rows, block.hit_targets.tolist(), strict=True))
        np.testing.assert_allclose(block.hit_scores.numpy(), exact[rows, block.hit_targets.numpy()], atol=1e-6)
    assert got == set(zip(*np.nonzero(exact > threshold), strict=True))


def test_without_the_margin_near_ties_go_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same near-tied data with a margin of zero: some top-k and some hits are missed (in bfloat16, which
    # is emulated, slowly, where the CPU lacks it).
    monkeypatch.setattr(screen, "native_bfloat16", lambda: True)
    rng = np.random.default_rng(5)
    targets = near_ties(rng, 400, 32, 1e-3)
    queries = near_ties(rng, 40, 32, 1e-3)
    exact = queries @ targets.T
    threshold = (np.sort(exact, axis=0)[-3] - 1e-7).astype(np.float32)
    monkeypatch.setattr(screen, "EXTRA", 4)
    monkeypatch.setattr(screen, "margin", lambda *_: 0.0)
    scores, _ = top_rows(queries, Screen.of(targets), 10)
    wrong_top = np.abs(scores - exact_top(queries, targets, 10)).max() > 1e-6
    hits = sum(len(b.hit_rows) for b in screened_blocks(queries, Screen.of(targets), 10, threshold))
    assert wrong_top
    assert hits < int((exact > threshold).sum())
