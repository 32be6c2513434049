"""Top-K list maintenance: the matcher's incremental algorithm must always equal brute force.

The simulation below replays ``workers.matcher.Matcher._rematch`` (``_apply``, the stale-source lookup,
``_compute``, the merge, the write and ``_set_floors``) with an in-memory dict standing in for the
``matches`` table, and checks every stored list against a brute-force top-K after every batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careerrank.retrieval import blocks
from careerrank.retrieval import incremental as ranking
from careerrank.retrieval.exact_index import ItemIndex
from schemas import Ranked

KINDS = ("vacancy", "resume")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
# float32 dot products of unit vectors: a few ulps of error per coordinate.
TOL = 1e-5


pytestmark = pytest.mark.usefixtures("single_threaded_faiss")


def opposite(kind: str) -> str:
    return "resume" if kind == "vacancy" else "vacancy"


def unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def index_of(rows: dict[str, list[float]], dim: int) -> ItemIndex:
    index = ItemIndex(dim)
    if rows:
        ids = list(rows)
        vectors = np.asarray([rows[i] for i in ids], dtype=np.float32)
        index.upsert(ids, [EPOCH] * len(ids), vectors)
    return index


# --- the simulation ----------------------------------------------------------------------------------


@dataclass
class Batch:
    upserts: dict[str, dict[str, np.ndarray]] = field(default_factory=lambda: {k: {} for k in KINDS})
    removals: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})


class Simulation:
    """Both indexes plus the stored lists, updated batch by batch as the matcher does it."""

    def __init__(self, dim: int, k: int, mutant: str | None = None) -> None:
        self.dim = dim
        self.k = k
        self.mutant = mutant  # drop one step of the algorithm, to prove the checks can fail
        self.indexes = {kind: ItemIndex(dim) for kind in KINDS}
        # The ``matches`` table: per source kind, source id -> ranked list (absent = no rows).
        self.stored: dict[str, dict[str, Ranked]] = {kind: {} for kind in KINDS}
        self.truth: dict[str, dict[str, np.ndarray]] = {kind: {} for kind in KINDS}
        self.clock = 0
        self.merges = 0
        self.full_searches = 0
        self.rescores = 0

    def apply(self, batch: Batch) -> None:
        self.clock += 1
        version = EPOCH + timedelta(seconds=self.clock)
        # Matcher._apply
        for kind in KINDS:
            index = self.indexes[kind]
            index.remove(batch.removals[kind])
            ups = batch.upserts[kind]
            if ups:
                ids = list(ups)
                index.upsert(ids, [version] * len(ids), np.stack([ups[i] for i in ids]))
        # Matcher._rematch: lists holding a target that left (searched again) or moved (rescored), as
        # matches.lists_containing and matches.fetch_lists would find them
        stale: dict[str, set[str]] = {kind: set() for kind in KINDS}
        holding: dict[str, dict[str, Ranked]] = {kind: {} for kind in KINDS}
        for kind in KINDS:
            other = opposite(kind)
            gone = set(batch.removals[kind])
            if gone and self.mutant != "no_stale":
                stale[other] = {s for s, ranked in self.stored[other].items() if any(t in gone for t, _ in ranked)}
            moved = set(batch.upserts[kind])
            if moved and self.mutant != "no_moved_targets":
                holding[other] = {
                    s: r
                    for s, r in self.stored[other].items()
                    if s not in stale[other] and any(t in moved for t, _ in r)
                }
        # Matcher._compute
        computed = ranking.changed_lists(
            self.indexes,
            {kind: list(batch.upserts[kind]) for kind in KINDS},
            batch.removals,
            stale,
            holding,
            self.k,
        )
        # Matcher._rematch: merge with the old (or rescored) lists, removed sources lose their list
        new_lists: dict[str, dict[str, Ranked]] = {}
        for kind in KINDS:
            full, rescored, candidates = computed[kind]
            lists = {**rescored, **full}
            if self.mutant == "no_candidates":
                candidates = {}
            for source, ranked in candidates.items():
                base = rescored[source] if source in rescored else self.stored[kind].get(source, [])
                lists[source] = ranking.merge(base, ranked, self.k)
            for removed in batch.removals[kind]:
                lists[removed] = []
            new_lists[kind] = lists
            self.merges += len(candidates)
            self.full_searches += len(full)
            self.rescores += len(rescored)
        # matches.replace_lists: an empty list deletes
        for kind in KINDS:
            for source, ranked in new_lists[kind].items():
                if ranked:
                    self.stored[kind][source] = list(ranked)
                else:
                    self.stored[kind].pop(source, None)
        # Matcher._set_floors
        for kind in KINDS:
            self.indexes[kind].set_floors(ranking.floors_for(new_lists[kind], self.k))
        # The ground truth the lists are checked against.
        for kind in KINDS:
            for item in batch.removals[kind]:
                del self.truth[kind][item]
            self.truth[kind].update(batch.upserts[kind])

    def check(self) -> None:
        for kind in KINDS:
            sources, targets = self.truth[kind], self.truth[opposite(kind)]
            index = self.indexes[kind]
            assert sorted(index.ids) == sorted(sources)
            assert set(self.stored[kind]) <= set(sources), "a list outlived its source"
            target_ids = list(targets)
            position = {t: i for i, t in enumerate(target_ids)}
            matrix = np.asarray([targets[t] for t in target_ids], dtype=np.float64).reshape(-1, self.dim)
            for source, vector in sources.items():
                stored = self.stored[kind].get(source, [])
                context = f"{kind} {source} after batch {self.clock}"
                assert_exact_top_k(stored, target_ids, position, matrix @ vector.astype(np.float64), self.k, context)
                pos = index.position(source)
                assert pos is not None
                assert index.floor[pos] == np.float32(ranking.floor_of(stored, self.k)), context


def assert_exact_top_k(
    stored: Ranked, target_ids: list[str], position: dict[str, int], true_scores: np.ndarray, k: int, context: str
) -> None:
    expected_len = min(k, len(target_ids))
    assert len(stored) == expected_len, context
    ids = [t for t, _ in stored]
    assert len(set(ids)) == len(ids), f"duplicate target in {context}"
    gone = [t for t in ids if t not in position]
    assert not gone, f"{gone} left but are still listed: {context}"
    scores = np.asarray([s for _, s in stored], dtype=np.float64)
    stale = np.abs(scores - true_scores[[position[t] for t in ids]]) > TOL
    assert not stale.any(), f"stale scores of {np.asarray(ids)[stale]}: {context}"
    assert (np.diff(scores) <= 0).all(), f"not best first: {context}"
    best = -np.sort(-true_scores)[:expected_len]
    assert (np.abs(scores - best) <= TOL).all(), f"not the top {k}: {scores} != {best}: {context}"
    if expected_len:
        # Every target clearly above the boundary must be listed; at the boundary, ties may go either way.
        must = {target_ids[i] for i in np.flatnonzero(true_scores > best[-1] + TOL)}
        assert must <= set(ids), f"missing {must - set(ids)}: {context}"


# --- random batches ----------------------------------------------------------------------------------

ID_POOL = [f"i{n}" for n in range(40)]  # shared by both kinds on purpose: a vacancy and a resume may share an id


@dataclass(frozen=True)
class KindOps:
    adds: int
    updates: int
    removals: int
    how: str  # how updated vectors move: "fresh", "nudge", "same"
    copies: int  # new items that copy an existing vector (exact ties)


kind_ops = st.builds(
    KindOps,
    adds=st.integers(0, 6),
    updates=st.integers(0, 4),
    removals=st.integers(0, 5),
    how=st.sampled_from(["fresh", "nudge", "same"]),
    copies=st.integers(0, 2),
)


def make_batch(sim: Simulation, ops: dict[str, KindOps], rng: np.random.Generator, pool: list[str]) -> Batch:
    batch = Batch()
    for kind in KINDS:
        op = ops[kind]
        present = sorted(sim.truth[kind])
        absent = [i for i in pool if i not in sim.truth[kind]]
        picked = rng.permutation(len(present))
        removals = [present[i] for i in picked[: op.removals]]
        updates = [present[i] for i in picked[op.removals : op.removals + op.updates]]
        adds = [absent[i] for i in rng.permutation(len(absent))[: op.adds]]
        batch.removals[kind] = removals
        for item in updates:
            old = sim.truth[kind][item]
            if op.how == "same":
                vector = old.copy()
            elif op.how == "nudge":
                vector = old + 0.15 * unit(rng, 1, sim.dim)[0]
                vector = (vector / np.linalg.norm(vector)).astype(np.float32)
            else:
                vector = unit(rng, 1, sim.dim)[0]
            batch.upserts[kind][item] = vector
        fresh = unit(rng, len(adds), sim.dim)
        kept = [i for i in present if i not in removals]
        for n, item in enumerate(adds):
            if n < op.copies and kept:
                batch.upserts[kind][item] = sim.truth[kind][kept[int(rng.integers(len(kept)))]].copy()
            else:
                batch.upserts[kind][item] = fresh[n]
    return batch


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    k=st.sampled_from([1, 3, 10]),
    dim=st.sampled_from([2, 4, 16]),
    seed=st.integers(0, 2**32 - 1),
    batches=st.integers(1, 25),
)
def test_incremental_lists_equal_brute_force(data: st.DataObject, k: int, dim: int, seed: int, batches: int) -> None:
    rng = np.random.default_rng(seed)
    sim = Simulation(dim, k)
    for _ in range(batches):
        ops = {kind: data.draw(kind_ops, label=kind) for kind in KINDS}
        sim.apply(make_batch(sim, ops, rng, ID_POOL))
        sim.check()


@pytest.mark.parametrize(
    ("seed", "row_chunk"),
    [(1, blocks.ROWS_PER_BLOCK), (4, 1)],
)
def test_long_random_run_equals_brute_force(seed: int, row_chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small ROWS_PER_BLOCK values push entering_candidates across many row blocks.
    monkeypatch.setattr(blocks, "ROWS_PER_BLOCK", row_chunk)
    rng = np.random.default_rng(seed)
    pool = [f"x{n}" for n in range(160)]
    sim = Simulation(dim=12, k=10)
    for step in range(120):
        # Grow first, then churn, with an occasional mass removal that leaves lists short.
        grow = step < 20
        mass = step % 37 == 36
        ops = {
            kind: KindOps(
                adds=int(rng.integers(3, 12)) if grow else int(rng.integers(0, 6)),
                updates=int(rng.integers(0, 6)),
                removals=int(rng.integers(40, 80)) if mass else int(rng.integers(0, 6)),
                how=str(rng.choice(["fresh", "nudge", "same"])),
                copies=int(rng.integers(0, 2)),
            )
            for kind in KINDS
        }
        if rng.random() < 0.2:  # batches that touch one kind only
            ops[KINDS[int(rng.integers(2))]] = KindOps(0, 0, 0, "fresh", 0)
        sim.apply(make_batch(sim, ops, rng, pool))
        sim.check()
    # The run must have exercised both paths, or it proves little.
    assert sim.merges > 100
    assert sim.full_searches > 100
    assert sim.rescores > 20


def test_simulation_check_catches_a_wrong_list() -> None:
    # Guard against a vacuous checker: corrupt one stored list and the check must fail.
    rng = np.random.default_rng(0)
    sim = Simulation(dim=4, k=3)
    sim.apply(make_batch(sim, {kind: KindOps(8, 0, 0, "fresh", 0) for kind in KINDS}, rng, ID_POOL))
    sim.check()
    source, ranked = next(iter(sim.stored["vacancy"].items()))
    worst = min(sim.truth["resume"], key=lambda t: float(sim.truth["resume"][t] @ sim.truth["vacancy"][source]))
    sim.stored["vacancy"][source] = [*ranked[:-1], (worst, ranked[-1][1])]
    with pytest.raises(AssertionError):
        sim.check()


@pytest.mark.parametrize(
    ("mutant", "ops"),
    [
        ("no_stale", KindOps(3, 2, 1, "fresh", 0)),
        ("no_moved_targets", KindOps(3, 2, 0, "nudge", 0)),  # only removals make lists stale
        ("no_candidates", KindOps(3, 2, 1, "fresh", 0)),
    ],
)
def test_each_step_is_needed(mutant: str, ops: KindOps) -> None:
    # The same random run with one step left out must fail the check: the property test has teeth.
    rng = np.random.default_rng(7)
    sim = Simulation(dim=4, k=3, mutant=mutant)
    with pytest.raises(AssertionError):
        for _ in range(30):
            sim.apply(make_batch(sim, dict.fromkeys(KINDS, ops), rng, ID_POOL))
            sim.check()


# --- merge / floor_of / floors_for ---------------------------------------------------------------------


def test_merge_keeps_top_k_of_union_best_first() -> None:
    old = [("a", 0.9), ("b", 0.7), ("c", 0.5)]
    assert ranking.merge(old, [("d", 0.8), ("e", 0.1)], 3) == [("a", 0.9), ("d", 0.8), ("b", 0.7)]


def test_merge_candidate_replaces_old_score_of_same_target() -> None:
    merged = ranking.merge([("a", 0.9), ("b", 0.7)], [("a", 0.2)], 3)
    assert merged == [("b", 0.7), ("a", 0.2)]


def test_merge_breaks_ties_by_id() -> None:
    assert ranking.merge([("z", 0.5)], [("m", 0.5), ("a", 0.5)], 2) == [("a", 0.5), ("m", 0.5)]


def test_merge_with_empty_inputs() -> None:
    assert ranking.merge([], [], 5) == []
    assert ranking.merge([], [("a", 0.1)], 5) == [("a", 0.1)]
    assert ranking.merge([("a", 0.1), ("b", 0.0)], [], 1) == [("a", 0.1)]


@given(
    old=st.dictionaries(st.text("abcdef", min_size=1, max_size=2), st.floats(-1, 1), max_size=12),
    new=st.dictionaries(st.text("abcdef", min_size=1, max_size=2), st.floats(-1, 1), max_size=12),
    k=st.integers(1, 12),
)
def test_merge_matches_sort_of_union(old: dict[str, float], new: dict[str, float], k: int) -> None:
    union = {**old, **new}
    expected = sorted(union.items(), key=lambda item: (-item[1], item[0]))[:k]
    old_ranked = sorted(old.items(), key=lambda item: (-item[1], item[0]))
    assert ranking.merge(old_ranked, list(new.items()), k) == expected


def test_floor_of_is_last_score_only_when_full() -> None:
    ranked = [("a", 0.9), ("b", 0.4)]
    assert ranking.floor_of(ranked, 2) == 0.4
    assert ranking.floor_of(ranked, 1) == 0.4  # longer than k: still the last entry
    assert ranking.floor_of(ranked, 3) == float("-inf")
    assert ranking.floor_of([], 1) == float("-inf")


def test_floors_for_maps_every_source() -> None:
    floors = ranking.floors_for({"s1": [("a", 0.9), ("b", 0.3)], "s2": [("a", 0.2)], "s3": []}, 2)
    assert floors == {"s1": 0.3, "s2": float("-inf"), "s3": float("-inf")}


# --- search_lists ------------------------------------------------------------------------------------

SOURCES = {"s1": [1.0, 0.0], "s2": [0.0, 1.0], "s3": [0.6, 0.8]}
TARGETS = {"t1": [1.0, 0.0], "t2": [0.8, 0.6], "t3": [0.0, 1.0], "t4": [-1.0, 0.0]}


def test_search_lists_exact_top_k_best_first() -> None:
    lists = ranking.search_lists(index_of(SOURCES, 2), index_of(TARGETS, 2), ["s1", "s2"], 2)
    assert set(lists) == {"s1", "s2"}
    assert [t for t, _ in lists["s1"]] == ["t1", "t2"]
    assert [s for _, s in lists["s1"]] == pytest.approx([1.0, 0.8])
    assert [t for t, _ in lists["s2"]] == ["t3", "t2"]
    assert [s for _, s in lists["s2"]] == pytest.approx([1.0, 0.6])


def test_search_lists_k_larger_than_index_returns_everything() -> None:
    lists = ranking.search_lists(index_of(SOURCES, 2), index_of(TARGETS, 2), ["s1"], 50)
    assert [t for t, _ in lists["s1"]] == ["t1", "t2", "t3", "t4"]
    assert lists["s1"][-1][1] == pytest.approx(-1.0)


def test_search_lists_empty_cases() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    assert ranking.search_lists(sources, targets, [], 3) == {}
    assert ranking.search_lists(sources, ItemIndex(2), ["s1", "s2"], 3) == {"s1": [], "s2": []}
    assert ranking.search_lists(ItemIndex(2), targets, ["s1"], 3) == {}


def test_search_lists_drops_sources_not_indexed() -> None:
    lists = ranking.search_lists(index_of(SOURCES, 2), index_of(TARGETS, 2), ["s3", "nope", "s1"], 1)
    assert set(lists) == {"s3", "s1"}
    assert lists["s3"][0][0] == "t2"  # 0.6*0.8 + 0.8*0.6 = 0.96 beats t3 (0.8) and t1 (0.6)
    assert lists["s1"][0][0] == "t1"


def test_search_lists_orders_ties_by_id() -> None:
    targets = index_of({"b": [1.0, 0.0], "a": [1.0, 0.0], "c": [1.0, 0.0]}, 2)
    lists = ranking.search_lists(index_of({"s": [1.0, 0.0]}, 2), targets, ["s"], 3)
    assert [t for t, _ in lists["s"]] == ["a", "b", "c"]


def test_search_lists_after_removals_never_lists_removed_targets() -> None:
    targets = index_of(TARGETS, 2)
    targets.remove(["t1", "t3"])
    lists = ranking.search_lists(index_of(SOURCES, 2), targets, ["s1", "s2"], 3)
    assert [t for t, _ in lists["s1"]] == ["t2", "t4"]
    assert [t for t, _ in lists["s2"]] == ["t2", "t4"]


# --- entering_candidates -----------------------------------------------------------------------------


def test_entering_candidates_uses_floors_strictly() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    # s1 scores t2 at 0.8: a floor of 0.8 keeps it out, 0.79 lets it in. s2/s3: -inf, everything enters.
    sources.set_floors({"s1": 0.8})
    got = ranking.entering_candidates(sources, targets, ["t2"], skip=set(), k=10)
    assert set(got) == {"s2", "s3"}
    sources.set_floors({"s1": 0.79})
    got = ranking.entering_candidates(sources, targets, ["t2"], skip=set(), k=10)
    assert [t for t, _ in got["s1"]] == ["t2"]
    assert got["s1"][0][1] == pytest.approx(0.8)


def test_entering_candidates_ranked_best_first_and_cut_at_k() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    got = ranking.entering_candidates(sources, targets, ["t4", "t3", "t1", "t2"], skip=set(), k=2)
    assert [t for t, _ in got["s1"]] == ["t1", "t2"]
    assert [t for t, _ in got["s2"]] == ["t3", "t2"]
    got = ranking.entering_candidates(sources, targets, ["t4", "t3", "t1", "t2"], skip=set(), k=100)
    assert [t for t, _ in got["s1"]] == ["t1", "t2", "t3", "t4"]  # k larger than the index


def test_entering_candidates_omits_sources_nobody_beats() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    # Exact scores of 1.0 do not beat a floor of 1.0; s3 is beaten only by t2 (0.96 > 0.95).
    sources.set_floors({"s1": 1.0, "s2": 1.0, "s3": 0.95})
    assert ranking.entering_candidates(sources, targets, ["t1", "t2", "t3", "t4"], skip=set(), k=3) == {
        "s3": [("t2", pytest.approx(0.96))]
    }


def test_entering_candidates_skip_set() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    got = ranking.entering_candidates(sources, targets, ["t1"], skip={"s1", "s3"}, k=3)
    assert set(got) == {"s2"}


def test_entering_candidates_ignores_targets_not_indexed() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    targets.remove(["t1"])
    assert ranking.entering_candidates(sources, targets, ["t1", "ghost"], skip=set(), k=3) == {}
    got = ranking.entering_candidates(sources, targets, ["t1", "t3"], skip=set(), k=3)
    assert all([t for t, _ in ranked] == ["t3"] for ranked in got.values())
    assert set(got) == {"s1", "s2", "s3"}


def test_entering_candidates_empty_indexes() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    assert ranking.entering_candidates(ItemIndex(2), targets, ["t1"], skip=set(), k=3) == {}
    assert ranking.entering_candidates(sources, ItemIndex(2), ["t1"], skip=set(), k=3) == {}
    assert ranking.entering_candidates(sources, targets, [], skip=set(), k=3) == {}


def test_entering_candidates_across_row_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    source_vectors, target_vectors = unit(rng, 23, 5), unit(rng, 6, 5)
    sources = index_of({f"s{i}": v.tolist() for i, v in enumerate(source_vectors)}, 5)
    targets = index_of({f"t{i}": v.tolist() for i, v in enumerate(target_vectors)}, 5)
    floors = rng.uniform(-0.5, 0.5, 23)
    sources.set_floors({f"s{i}": float(f) for i, f in enumerate(floors)})
    whole = ranking.entering_candidates(sources, targets, ["t0", "t2", "t5"], skip={"s4"}, k=2)
    monkeypatch.setattr(blocks, "ROWS_PER_BLOCK", 4)
    chunked = ranking.entering_candidates(sources, targets, ["t0", "t2", "t5"], skip={"s4"}, k=2)
    assert chunked == whole
    scores = source_vectors @ target_vectors[[0, 2, 5]].T
    for i in range(23):
        above = sorted(
            ((t, float(s)) for t, s in zip(["t0", "t2", "t5"], scores[i], strict=True) if s > np.float32(floors[i])),
            key=lambda item: (-item[1], item[0]),
        )[:2]
        if i == 4 or not above:
            assert f"s{i}" not in whole
        else:
            assert [t for t, _ in whole[f"s{i}"]] == [t for t, _ in above]


# --- rescore / place_new -------------------------------------------------------------------------------


def test_rescore_keeps_a_full_list_when_the_moved_target_stays_above_the_floor() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    # s1's list of 2 was [t1 1.0, t2 0.8]; t2 moved to [0.6, 0.8] (0.6 for s1): below the floor 0.8 -> search.
    old = [("t1", 1.0), ("t2", 0.8)]
    targets.upsert(["t2"], [EPOCH], np.asarray([[0.6, 0.8]], dtype=np.float32))
    assert ranking.rescore(sources, targets, "s1", old, {"t2"}, 2) is None
    # Moved up instead: kept, rescored and re-sorted.
    targets.upsert(["t2"], [EPOCH], np.asarray([[1.0, 0.0]], dtype=np.float32))
    assert ranking.rescore(sources, targets, "s1", old, {"t2"}, 2) == [("t1", 1.0), ("t2", 1.0)]
    # A list that is not full holds every target: any move is fine.
    targets.upsert(["t2"], [EPOCH], np.asarray([[0.0, 1.0]], dtype=np.float32))
    assert ranking.rescore(sources, targets, "s1", old, {"t2"}, 3) == [("t1", 1.0), ("t2", 0.0)]
    # A target the index no longer holds cannot be rescored.
    targets.remove(["t2"])
    assert ranking.rescore(sources, targets, "s1", old, {"t2"}, 3) is None


def test_place_new_gives_own_lists_and_entering_candidates_from_one_product() -> None:
    sources, targets = index_of(SOURCES, 2), index_of(TARGETS, 2)
    targets.set_floors({"t1": 0.9, "t2": 0.97, "t3": 0.7, "t4": -0.5})
    own, entering = ranking.place_new(sources, targets, ["s3", "s1", "ghost"], skip={"t4"}, k=2)
    assert own == ranking.search_lists(sources, targets, ["s3", "s1"], 2)
    # t1 (floor 0.9): s1 scores 1.0; t2 (0.97): s1 0.8, s3 0.96 -> nobody; t3 (0.7): s3 0.8; t4 skipped.
    assert entering == {"t1": [("s1", pytest.approx(1.0))], "t3": [("s3", pytest.approx(0.8))]}
