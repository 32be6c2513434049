"""ApproximateIndex mechanics on tiny random sets: exact when every list is scanned, ids, removal, floors.

Random vectors only check the mechanics; recall is measured on real embeddings by scripts/bench_ann.py.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from careerrank.retrieval.approximate_index import ApproximateIndex, default_nlist, recall_at_k, train_size
from careerrank.vectors import normalise

pytestmark = pytest.mark.usefixtures("single_threaded_faiss")

DIM = 16


def unit_rows(rng: np.random.Generator, n: int, dim: int = DIM) -> npt.NDArray[np.float32]:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return normalise(v)


def built(
    quantizer: str = "flat", n: int = 600, nlist: int = 8, seed: int = 0
) -> tuple[ApproximateIndex, npt.NDArray[np.float32]]:
    rng = np.random.default_rng(seed)
    base = unit_rows(rng, n)
    index = ApproximateIndex(DIM, nlist, nprobe=2, quantizer=quantizer)  # type: ignore[arg-type]
    index.train(base)
    index.add(base, np.arange(n, dtype=np.int64))
    return index, base


def test_default_nlist() -> None:
    assert default_nlist(1_000_000) == 4000
    assert default_nlist(100_000) == round(4 * 100_000**0.5)
    assert default_nlist(10_000) == 400
    assert default_nlist(10) == 10  # never more lists than vectors
    assert default_nlist(0) == 1
    assert train_size(4000) >= 39 * 4000


@pytest.mark.parametrize("quantizer", ["flat", "hnsw"])
def test_scanning_every_list_is_exact(quantizer: str) -> None:
    index, base = built(quantizer)
    queries = unit_rows(np.random.default_rng(1), 20)
    scores, ids = index.search(queries, 10, nprobe=index.nlist)
    exact = queries @ base.T
    expected = np.argsort(-exact, axis=1)[:, :10]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(exact, expected, axis=1), rtol=1e-5)
    assert recall_at_k(scores, np.take_along_axis(exact, expected, axis=1), 10) == 1.0


def test_fewer_probes_scan_less() -> None:
    index, _ = built()
    queries = unit_rows(np.random.default_rng(2), 5)
    assert index.search(queries, 10, nprobe=1)[1].shape == (5, 10)
    index.nprobe = 10_000
    assert index.nprobe == index.nlist


def test_ids_are_the_callers() -> None:
    rng = np.random.default_rng(3)
    base = unit_rows(rng, 200)
    ids = np.arange(200, dtype=np.int64) * 7 + 1_000_000_000_000
    index = ApproximateIndex(DIM, 4, nprobe=4)
    index.train(base)
    index.add(base, ids)
    _, found = index.search(base[[5, 17]], 1)
    np.testing.assert_array_equal(found[:, 0], ids[[5, 17]])


def test_remove() -> None:
    index, base = built()
    gone = np.array([0, 5, 99, 599], dtype=np.int64)
    assert index.remove(np.append(gone, 123_456)) == 4
    assert len(index) == len(base) - 4
    assert index.remove(gone) == 0
    assert index.remove(np.zeros(0, dtype=np.int64)) == 0
    _, ids = index.search(base[gone], 10, nprobe=index.nlist)
    assert not np.isin(ids, gone).any()
    index.add(base[gone], gone)  # an id can come back after its removal
    _, ids = index.search(base[gone], 1, nprobe=index.nlist)
    np.testing.assert_array_equal(ids[:, 0], gone)


def test_short_results_are_padded() -> None:
    rng = np.random.default_rng(4)
    base = unit_rows(rng, 20)
    index = ApproximateIndex(DIM, 2, nprobe=2)
    index.train(base)
    index.add(base[:3], np.arange(3, dtype=np.int64))
    scores, ids = index.search(base[:1], 5)
    assert (ids[0, 3:] == -1).all()
    assert np.isneginf(scores[0, 3:]).all()
    assert index.search(base[:0], 5)[1].shape == (0, 5)


def test_rejects_bad_input() -> None:
    index = ApproximateIndex(DIM, 4)
    rows = unit_rows(np.random.default_rng(5), 10)
    with pytest.raises(RuntimeError):
        index.add(rows, np.arange(10, dtype=np.int64))
    with pytest.raises(ValueError):
        index.train(rows[:2])
    index.train(rows)
    with pytest.raises(ValueError):
        index.add(rows, np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError):
        index.search(np.ones((1, DIM + 1), np.float32), 3)
    with pytest.raises(ValueError):
        index.nprobe = 0


def test_neighbours_above_finds_floor_beaters() -> None:
    index, base = built(n=400)
    rng = np.random.default_rng(6)
    floors = rng.uniform(0.0, 0.8, len(base)).astype(np.float32)
    query = unit_rows(rng, 1)[0]
    exact = np.flatnonzero(base @ query > floors)
    assert len(exact) > 0
    ids, scores = index.neighbours_above(query, floors, m=len(base), nprobe=index.nlist)
    assert sorted(ids.tolist()) == sorted(exact.tolist())
    assert (scores > floors[ids]).all()
    assert (np.diff(scores) <= 0).all()
    # with a small m, only the query's nearest candidates are checked: a subset, never a false hit
    few, _ = index.neighbours_above(query, floors, m=5, nprobe=index.nlist)
    assert set(few.tolist()) <= set(exact.tolist())
    assert len(few) <= 5


def test_neighbours_above_batch_matches_single() -> None:
    index, base = built(n=300)
    rng = np.random.default_rng(7)
    floors = np.full(len(base), 0.3, np.float32)
    queries = unit_rows(rng, 3)
    batch = index.neighbours_above_batch(queries, floors, m=50)
    for query, (ids, scores) in zip(queries, batch, strict=True):
        one_ids, one_scores = index.neighbours_above(query, floors, m=50)
        np.testing.assert_array_equal(ids, one_ids)
        np.testing.assert_array_equal(scores, one_scores)


def test_recall_counts_ties_on_scores() -> None:
    exact = np.array([[0.9, 0.8, 0.8, 0.8]], np.float32)
    # a different item with the tied 2nd score is as good as the one exact search returned
    assert recall_at_k(np.array([[0.9, 0.8]], np.float32), exact, 2) == 1.0
    assert recall_at_k(np.array([[0.9, 0.7]], np.float32), exact, 2) == 0.5


def test_memory_counts_vectors_and_ids() -> None:
    index, base = built()
    assert index.memory_bytes() >= len(base) * (DIM * 4 + 8)
    assert index.list_sizes().sum() == len(base)
