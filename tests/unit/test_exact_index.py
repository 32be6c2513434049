"""ItemIndex: ids, versions and vector rows stay aligned through upserts and removals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from careerrank.retrieval import screen
from careerrank.retrieval.exact_index import ItemIndex, gpu_available

T0 = datetime(2024, 1, 1, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("single_threaded_faiss")


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def assert_aligned(index: ItemIndex, truth: dict[str, tuple[datetime, np.ndarray, float]]) -> None:
    """``truth``: id -> (version, vector, _). Checks every per-row array against it, row by row."""
    assert len(index) == len(truth)
    assert sorted(index.ids) == sorted(truth)
    vectors = index.vectors()
    assert vectors.shape == (len(truth), index.dim)
    assert len(index.versions) == len(truth)
    for pos, item_id in enumerate(index.ids):
        version, vector, _ = truth[item_id]
        assert item_id in index
        assert index.position(item_id) == pos
        assert index.version_of(item_id) == version
        assert index.versions[pos] == version
        np.testing.assert_array_equal(vectors[pos], np.asarray(vector, dtype=np.float32))


def test_empty_index() -> None:
    index = ItemIndex(4)
    assert len(index) == 0
    assert "a" not in index
    assert index.position("a") is None
    assert index.version_of("a") is None
    assert index.vectors().shape == (0, 4)
    assert index.remove(["a"]) == 0
    scores, ids = index.search(np.ones((2, 4), dtype=np.float32), 3)
    assert scores.shape == (2, 0)
    assert ids == [[], []]
    assert index.device == "cpu"


def test_upsert_reports_which_ids_existed() -> None:
    index = ItemIndex(2)
    assert index.upsert(["a", "b"], [at(1), at(1)], np.eye(2, dtype=np.float32)) == [False, False]
    assert index.ids == ["a", "b"]
    flags = index.upsert(["c", "a"], [at(2), at(3)], np.asarray([[0.6, 0.8], [0.0, 1.0]], dtype=np.float32))
    assert flags == [False, True]
    assert_aligned(
        index,
        {
            "a": (at(3), np.asarray([0.0, 1.0]), 0.5),  # replaced in place
            "b": (at(1), np.asarray([0.0, 1.0]), 0.25),
            "c": (at(2), np.asarray([0.6, 0.8]), float("-inf")),
        },
    )


def test_replace_changes_what_search_finds() -> None:
    index = ItemIndex(2)
    index.upsert(["a", "b"], [at(1), at(1)], np.asarray([[1, 0], [0, 1]], dtype=np.float32))
    index.upsert(["a"], [at(2)], np.asarray([[-1, 0]], dtype=np.float32))
    scores, ids = index.search(np.asarray([[1, 0]], dtype=np.float32), 2)
    assert ids == [["b", "a"]]
    np.testing.assert_allclose(scores[0], [0.0, -1.0], atol=1e-6)


def test_remove_compacts_and_keeps_rows_aligned() -> None:
    rng = np.random.default_rng(0)
    vectors = unit_rows(rng, 6, 3)
    ids = [f"id{i}" for i in range(6)]
    index = ItemIndex(3)
    index.upsert(ids, [at(i) for i in range(6)], vectors)
    assert index.remove(["id1", "id4", "missing", "id1"]) == 2
    truth = {ids[i]: (at(i), vectors[i], i / 10) for i in (0, 2, 3, 5)}
    assert_aligned(index, truth)
    assert "id1" not in index
    assert index.position("id4") is None
    assert index.remove(["id1"]) == 0


def test_search_after_removals_returns_current_ids_only() -> None:
    rng = np.random.default_rng(1)
    vectors = unit_rows(rng, 30, 8)
    ids = [f"t{i}" for i in range(30)]
    index = ItemIndex(8)
    index.upsert(ids, [at(0)] * 30, vectors)
    removed = set(ids[::3])
    index.remove(sorted(removed))
    kept = [i for i, item in enumerate(ids) if item not in removed]
    queries = unit_rows(rng, 5, 8)
    scores, found = index.search(queries, 4)
    brute = queries @ vectors[kept].T
    for q in range(5):
        order = np.argsort(-brute[q])[:4]
        assert found[q] == [ids[kept[j]] for j in order]
        np.testing.assert_allclose(scores[q], brute[q][order], atol=1e-5)
        assert not removed & set(found[q])


def test_search_k_larger_than_index_gives_short_rows() -> None:
    index = ItemIndex(2)
    index.upsert(["a", "b"], [at(0)] * 2, np.asarray([[1, 0], [0, 1]], dtype=np.float32))
    scores, ids = index.search(np.asarray([[1, 0], [0, 1]], dtype=np.float32), 10)
    assert ids == [["a", "b"], ["b", "a"]]
    assert scores.shape == (2, 2)
    _, none = index.search(np.zeros((0, 2), dtype=np.float32), 3)
    assert none == []


def test_compact_moves_the_last_rows_into_the_holes_and_says_so() -> None:
    index = ItemIndex(2)
    vectors = unit_rows(np.random.default_rng(3), 6, 2)
    index.upsert(["a", "b", "c", "d", "e", "f"], [at(i) for i in range(6)], vectors)
    assert index.compact(["missing"]) is None
    moved = index.compact(["b", "e", "b", "a"])
    assert moved is not None
    assert (moved.before, moved.after) == (6, 3)
    assert moved.removed.tolist() == [0, 1, 4] and moved.source.tolist() == [3, 5] and moved.dest.tolist() == [0, 1]
    assert moved.new_position().tolist() == [-1, -1, 2, 0, -1, 1]
    assert sorted(moved.touched().tolist()) == [0, 1, 3, 4, 5]
    assert index.ids == ["d", "f", "c"] and index.position("f") == 1
    np.testing.assert_array_equal(index.vectors(), vectors[[3, 5, 2]])
    assert index.versions == [at(3), at(5), at(2)]


def test_vectors_view_is_read_only() -> None:
    index = ItemIndex(2)
    index.upsert(["a"], [at(0)], np.asarray([[1, 0]], dtype=np.float32))
    view = index.vectors()
    assert not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0] = 5.0
    np.testing.assert_array_equal(index.vectors(), [[1, 0]])


def test_upsert_copies_its_input() -> None:
    index = ItemIndex(2)
    source = np.asarray([[1, 0]], dtype=np.float32)
    index.upsert(["a"], [at(0)], source)
    source[0, 0] = 7.0
    np.testing.assert_array_equal(index.vectors(), [[1, 0]])


def test_upsert_accepts_float64_input() -> None:
    index = ItemIndex(2)
    index.upsert(["a"], [at(0)], np.asarray([[0.6, 0.8]], dtype=np.float64))
    assert index.vectors().dtype == np.float32
    np.testing.assert_allclose(index.vectors(), [[0.6, 0.8]], atol=1e-7)


def test_gpu_available_is_a_bool() -> None:
    assert isinstance(gpu_available(), bool)


@settings(max_examples=40, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["upsert", "remove", "compact"]),
            st.lists(st.sampled_from([f"k{i}" for i in range(12)]), min_size=0, max_size=6, unique=True),
        ),
        max_size=30,
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_operations_stay_aligned(ops: list[tuple[str, list[str]]], seed: int) -> None:
    rng = np.random.default_rng(seed)
    index = ItemIndex(4)
    truth: dict[str, tuple[datetime, np.ndarray, float]] = {}
    for step, (op, ids) in enumerate(ops):
        if op == "upsert" and ids:
            vectors = unit_rows(rng, len(ids), 4)
            existed = index.upsert(ids, [at(step)] * len(ids), vectors)
            assert existed == [i in truth for i in ids]
            for i, item in enumerate(ids):
                floor = truth[item][2] if item in truth else float("-inf")
                truth[item] = (at(step), vectors[i], floor)
        elif op == "remove":
            assert index.remove(ids) == len(set(ids) & set(truth))
            for item in ids:
                truth.pop(item, None)
        else:
            before = list(index.ids)
            moved = index.compact(ids)
            gone = set(ids) & set(truth)
            if moved is None:
                assert not gone
            else:
                # Every old position either left or is found where new_position says.
                new = moved.new_position()
                assert sorted(before[p] for p in moved.removed.tolist()) == sorted(gone)
                assert all(index.ids[new[p]] == item for p, item in enumerate(before) if item not in gone)
            for item in ids:
                truth.pop(item, None)
        assert_aligned(index, truth)
    if truth:
        # The FAISS rows follow the ids: each vector is its own best match.
        ids = list(truth)
        _, found = index.search(np.stack([truth[i][1] for i in ids]), 1)
        assert [row[0] for row in found] == ids


def test_upsert_with_repeated_id_in_one_call_keeps_one_row() -> None:
    index = ItemIndex(2)
    flags = index.upsert(["a", "a"], [at(1), at(2)], np.asarray([[1, 0], [0, 1]], dtype=np.float32))
    assert flags == [False, False]  # the state before the call
    assert index.ids == ["a"]
    assert index.version_of("a") == at(2)
    np.testing.assert_array_equal(index.vectors(), [[0, 1]])
    flags = index.upsert(["b", "a", "b"], [at(3), at(4), at(5)], np.eye(3, 2, dtype=np.float32))
    assert flags == [False, True, False]
    assert_aligned(
        index,
        {"a": (at(4), np.asarray([0, 1]), float("-inf")), "b": (at(5), np.asarray([0, 0]), float("-inf"))},
    )


@pytest.mark.parametrize("native", [True, False], ids=["bfloat16", "float32"])
def test_the_screen_follows_every_change(native: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Appends, replacements and removals (rows moved into holes) reach the screen's copy of the vectors."""
    monkeypatch.setattr(screen, "native_bfloat16", lambda: native)
    rng = np.random.default_rng(5)
    index = ItemIndex(4)
    ids = [f"s{i}" for i in range(40)]
    for step in range(30):
        picked = sorted({ids[j] for j in rng.integers(0, len(ids), 6).tolist()})
        if step % 3 == 2:
            index.compact(picked)
        else:
            index.upsert(picked, [at(step)] * len(picked), 3 * rng.standard_normal((len(picked), 4)))
        view = index.screen()
        exact = torch.from_numpy(np.array(index.vectors()))
        assert torch.equal(view.exact, exact)
        assert torch.equal(view.low, exact.to(torch.bfloat16) if native else exact)
        if len(exact):
            assert view.norm >= float(torch.linalg.vector_norm(exact, dim=1).max())
