"""Top-K list maintenance: the matcher's incremental algorithm must always equal brute force.

The simulation below replays ``workers.matcher.Matcher._compute`` and the write with a dict standing in for the
``match_lists`` table, restarts now and then (the state rebuilt from what is stored, as ``Matcher.load`` does),
and checks every stored list against a brute-force top-K after every batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careerrank.retrieval import incremental as ranking
from careerrank.retrieval import screen
from careerrank.retrieval.exact_index import Compaction
from careerrank.retrieval.resident import ResidentLists
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


# --- the simulation ----------------------------------------------------------------------------------


@dataclass
class Batch:
    upserts: dict[str, dict[str, np.ndarray]] = field(default_factory=lambda: {k: {} for k in KINDS})
    removals: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})


class Simulation:
    """Both indexes and every list, updated batch by batch as the matcher does it, plus the stored lists."""

    def __init__(self, dim: int, k: int, mutant: str | None = None, restart_every: int = 0) -> None:
        self.dim = dim
        self.k = k
        self.mutant = mutant  # drop one step of the algorithm, to prove the checks can fail
        self.restart_every = restart_every
        self.state = self._new_state()
        # The ``match_lists`` table: per source kind, source id -> ranked list (absent = no row).
        self.stored: dict[str, dict[str, Ranked]] = {kind: {} for kind in KINDS}
        self.truth: dict[str, dict[str, np.ndarray]] = {kind: {} for kind in KINDS}
        self.clock = 0
        self.merges = 0
        self.full_searches = 0

    def _new_state(self) -> ranking.ListState:
        state = ranking.ListState(self.dim, self.k)
        for lists in state.lists.values():
            if self.mutant == "no_stale":
                lists.remap_targets = lambda moved, k, lists=lists: _remap_keeping_lost(lists, moved)  # type: ignore[method-assign]
            elif self.mutant == "no_moved_targets":
                lists.drop_targets = lambda marked, k: np.zeros(0, np.intp)  # type: ignore[method-assign]
            elif self.mutant == "no_candidates":
                lists.merge = lambda rows, targets, scores, k: np.zeros(0, np.intp)  # type: ignore[method-assign]
            elif self.mutant == "no_search":
                lists.short = lambda k, n: np.zeros(0, np.intp)  # type: ignore[method-assign]
        return state

    def restart(self, closed: dict[str, list[str]] | None = None, deep: bool = False) -> None:
        """Matcher.load: indexes from the vectors, lists from what is stored (no reserve; ``deep``: with their
        reserves, as a reindex leaves them). ``closed``: items that closed while the matcher was down (not
        loaded, still in stored lists; their removals queued)."""
        stored = self.stored
        if deep:
            old = self.state
            stored = {}
            for kind in KINDS:
                ids, targets = old.indexes[kind].ids, old.indexes[opposite(kind)].ids
                stored[kind] = dict(old.lists[kind].list_rows(np.arange(len(ids)), ids, old.depth, targets))
        self.state = self._new_state()
        for kind in KINDS:
            ids = sorted(set(self.truth[kind]) - set((closed or {}).get(kind, [])))
            if ids:
                self.state.indexes[kind].upsert(ids, [EPOCH] * len(ids), np.stack([self.truth[kind][i] for i in ids]))
        self.state.fill(stored)  # type: ignore[arg-type]
        if self.mutant == "no_rewrite":
            for sources in self.state.rewrite.values():
                sources.clear()

    def apply(self, batch: Batch) -> None:
        self.clock += 1
        version = EPOCH + timedelta(seconds=self.clock)
        changes = {}
        for kind in KINDS:
            ups = batch.upserts[kind]
            ids = list(ups)
            vectors = np.stack([ups[i] for i in ids]) if ids else None
            changes[kind] = ranking.Changes(ids, [version] * len(ids), vectors, list(batch.removals[kind]))
        outcome = self.state.apply(changes)  # type: ignore[arg-type]
        for kind in KINDS:
            self.merges += outcome.merged[kind]  # type: ignore[index]
            self.full_searches += outcome.searched[kind]  # type: ignore[index]
            # match_lists.replace: an empty list deletes
            for source, ranked in outcome.lists[kind].items():  # type: ignore[index]
                if ranked:
                    self.stored[kind][source] = list(ranked)
                else:
                    self.stored[kind].pop(source, None)
        # The ground truth the lists are checked against.
        for kind in KINDS:
            for item in batch.removals[kind]:
                del self.truth[kind][item]
            self.truth[kind].update(batch.upserts[kind])
        if self.restart_every and self.clock % self.restart_every == 0:
            self.restart()

    def check(self) -> None:
        for kind in KINDS:
            sources, targets = self.truth[kind], self.truth[opposite(kind)]
            index = self.state.indexes[kind]  # type: ignore[index]
            assert sorted(index.ids) == sorted(sources)
            assert set(self.stored[kind]) <= set(sources), "a list outlived its source"
            target_ids = list(targets)
            position = {t: i for i, t in enumerate(target_ids)}
            matrix = np.asarray([targets[t] for t in target_ids], dtype=np.float64).reshape(-1, self.dim)
            for source, vector in sources.items():
                stored = self.stored[kind].get(source, [])
                context = f"{kind} {source} after batch {self.clock}"
                assert_exact_top_k(stored, target_ids, position, matrix @ vector.astype(np.float64), self.k, context)


def _remap_keeping_lost(lists: ResidentLists, moved: Compaction) -> np.ndarray:
    """A broken remap: a removed target's entry stays (pointing at whatever now holds position 0)."""
    held = lists.pos >= 0
    new_position = moved.new_position()
    lists.pos[:] = np.where(held, np.maximum(new_position[np.where(held, lists.pos, 0)], 0), -1)
    return np.zeros(0, np.intp)


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
    sim = Simulation(dim, k, restart_every=data.draw(st.sampled_from([0, 3]), label="restart_every"))
    for _ in range(batches):
        ops = {kind: data.draw(kind_ops, label=kind) for kind in KINDS}
        sim.apply(make_batch(sim, ops, rng, ID_POOL))
        sim.check()


@pytest.mark.parametrize(
    ("seed", "row_chunk", "extra"),
    [(1, screen.ROWS_PER_BLOCK, screen.EXTRA), (4, 1, screen.EXTRA), (6, 5, 0), (8, 64, 2)],
)
def test_long_random_run_equals_brute_force(
    seed: int, row_chunk: int, extra: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small blocks push entering candidates across many row blocks; a small EXTRA makes the lists small
    # enough for the bfloat16 screen (and its second, wider pass) to decide them.
    monkeypatch.setattr(screen, "ROWS_PER_BLOCK", row_chunk)
    monkeypatch.setattr(screen, "EXTRA", extra)
    rng = np.random.default_rng(seed)
    pool = [f"x{n}" for n in range(160)]
    sim = Simulation(dim=12, k=10, restart_every=25)
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
        ("no_search", KindOps(3, 2, 2, "fresh", 0)),
    ],
)
def test_each_step_is_needed(mutant: str, ops: KindOps) -> None:
    # The same random run with one step left out must fail the check: the property test has teeth.
    rng = np.random.default_rng(7)
    # Restarts leave lists without a reserve, so a lost entry must be searched for at once.
    sim = Simulation(dim=4, k=3, mutant=mutant, restart_every=2 if mutant == "no_search" else 0)
    with pytest.raises(AssertionError):
        for _ in range(30):
            sim.apply(make_batch(sim, dict.fromkeys(KINDS, ops), rng, ID_POOL))
            sim.check()


@pytest.mark.parametrize("mutant", [None, "no_rewrite"])
def test_items_closed_while_the_matcher_was_down_leave_every_stored_list(mutant: str | None) -> None:
    # The matcher reads lists (with their reserves) naming items that closed meanwhile: it drops them in
    # memory, and the stored lists that named them are written again with the next batch, even where the
    # reserve keeps them full and nothing else changes them.
    rng = np.random.default_rng(3)
    sim = Simulation(dim=6, k=4, mutant=mutant)
    for _ in range(4):
        sim.apply(make_batch(sim, {kind: KindOps(8, 1, 0, "fresh", 0) for kind in KINDS}, rng, ID_POOL))
    closed: dict[str, list[str]] = {}
    for kind in KINDS:
        listed = [t for ranked in sim.stored[opposite(kind)].values() for t, _ in ranked]
        closed[kind] = [max(set(listed), key=listed.count)]
    sim.restart(closed, deep=True)
    batch = Batch()
    batch.removals = closed
    sim.apply(batch)
    if mutant is None:
        sim.check()
    else:
        with pytest.raises(AssertionError, match="still listed"):
            sim.check()


# --- the resident lists -------------------------------------------------------------------------------


def resident(rows: list[list[tuple[int, float]]], depth: int, bound: list[float]) -> ResidentLists:
    lists = ResidentLists(depth)
    lists.grow(len(rows))
    for r, entries in enumerate(rows):
        if entries:
            lists.set_rows(
                np.asarray([r]),
                np.asarray([[p for p, _ in entries]]),
                np.asarray([[s for _, s in entries]], dtype=np.float32),
                complete=False,
            )
        lists.bound[r] = bound[r]
    return lists


def entries(lists: ResidentLists, row: int) -> list[tuple[int, float]]:
    n = int(lists.length[row])
    return [(int(p), round(float(s), 4)) for p, s in zip(lists.pos[row, :n], lists.score[row, :n], strict=True)]


def test_merge_keeps_the_best_depth_and_reports_rows_whose_top_k_changed() -> None:
    lists = resident([[(0, 0.9), (1, 0.5)], [(2, 0.8), (3, 0.7)]], depth=3, bound=[0.4, 0.6])
    changed = lists.merge(np.asarray([0, 0, 1]), np.asarray([4, 5, 6]), np.asarray([0.95, 0.45, 0.65], np.float32), k=1)
    assert changed.tolist() == [0]  # row 1 took a candidate below its first entry only
    assert entries(lists, 0) == [(4, 0.95), (0, 0.9), (1, 0.5)]
    assert entries(lists, 1) == [(2, 0.8), (3, 0.7), (6, 0.65)]
    # Row 0 overflowed: what it dropped (0.45) and anything outside now score at most its last kept entry.
    assert lists.bound[0] == np.float32(0.5) and lists.bound[1] == np.float32(0.6)


def test_drop_targets_closes_up_and_keeps_the_bound() -> None:
    lists = resident([[(0, 0.9), (1, 0.5), (2, 0.4)]], depth=3, bound=[0.3])
    marked = np.zeros(3, dtype=bool)
    marked[1] = True
    assert lists.drop_targets(marked, k=2).tolist() == [0]
    assert entries(lists, 0) == [(0, 0.9), (2, 0.4)]
    assert lists.bound[0] == np.float32(0.3)
    marked[:] = False
    marked[2] = True
    assert lists.drop_targets(marked, k=1).tolist() == []  # below the stored top 1: nothing to write


def test_remap_follows_compaction_and_drops_removed_targets() -> None:
    lists = resident([[(3, 0.9), (1, 0.5)], [(0, 0.8), (2, 0.7)], [(4, 0.6)]], depth=2, bound=[0.1, 0.2, 0.3])
    # Targets 1 and 2 left; 3 and 4 moved into their holes.
    moved = Compaction(5, 3, np.asarray([1, 2]), np.asarray([3, 4]), np.asarray([1, 2]))
    assert lists.remap_targets(moved, k=2).tolist() == [0, 1]  # row 2's target only moved
    assert entries(lists, 0) == [(1, 0.9)]
    assert entries(lists, 1) == [(0, 0.8)]
    assert entries(lists, 2) == [(2, 0.6)]
    assert lists.bound.tolist() == pytest.approx([0.1, 0.2, 0.3])
    moved = Compaction(3, 2, np.asarray([1]), np.asarray([2]), np.asarray([1]))
    assert lists.remap_targets(moved, k=1).tolist() == [0]
    assert entries(lists, 0) == [] and entries(lists, 2) == [(1, 0.6)]


def test_rows_follow_the_source_index_and_grow_into_spare_room() -> None:
    lists = resident([[(0, 0.9)], [(1, 0.8)], [(2, 0.7)], [(3, 0.6)]], depth=2, bound=[0.1, 0.2, 0.3, 0.4])
    lists.move_rows(Compaction(4, 2, np.asarray([0, 2]), np.asarray([3]), np.asarray([0])))
    assert len(lists) == 2 and lists.pos.shape == (2, 2)
    assert [entries(lists, r) for r in range(2)] == [[(3, 0.6)], [(1, 0.8)]]
    assert lists.bound.tolist() == pytest.approx([0.4, 0.2])
    lists.grow(5)  # rows that were moved away hold nothing of their old contents
    assert lists.length.tolist() == [1, 1, 0, 0, 0] and (lists.pos[2:] == -1).all()
    assert np.isposinf(lists.bound[2:]).all() and np.isneginf(lists.score[2:]).all()


def test_short_rows_need_a_search_unless_they_hold_every_target() -> None:
    lists = resident([[(0, 0.9)], [(0, 0.9)], [(0, 0.9), (1, 0.8)], []], depth=4, bound=[0.5, -np.inf, 0.5, np.inf])
    assert lists.short(k=2, n_targets=5).tolist() == [0, 3]
    assert lists.short(k=2, n_targets=1).tolist() == [3]


def test_fill_from_stored_lists_sets_bounds_and_drops_targets_that_closed() -> None:
    lists = ResidentLists(4)
    stored = {
        "a": [("x", 0.9), ("y", 0.2)],
        "b": [("x", 0.5)],
        "c": [("ghost", 0.7), ("y", 0.1)],
        "e": [("x", 0.8), ("z", 0.6), ("ghost", 0.3), ("y", 0.2)],  # as deep as held: the ghost in the reserve
    }
    stale = lists.fill(["a", "b", "c", "d", "e"], stored, {"x": 0, "y": 1, "z": 2}, k=2)
    assert entries(lists, 0) == [(0, 0.9), (1, 0.2)] and lists.bound[0] == np.float32(0.2)
    assert np.isneginf(lists.bound[1])  # shorter than k: it held every target
    # The closed target goes as a removal would take it; the bound stays what it was.
    assert entries(lists, 2) == [(1, 0.1)] and lists.bound[2] == np.float32(0.1)
    assert entries(lists, 4) == [(0, 0.8), (2, 0.6), (1, 0.2)] and lists.bound[4] == np.float32(0.2)
    # c is left with fewer than k; d has no list at all; e keeps its first k out of its reserve.
    assert lists.short(k=2, n_targets=3).tolist() == [2, 3]
    # Only c's stored first k named the closed target: that list is written again.
    assert stale.tolist() == [2]


def test_ranked_orders_ties_by_id() -> None:
    lists = resident([[(1, 0.5), (0, 0.5), (2, 0.9)]], depth=3, bound=[0.0])
    assert lists.ranked(0, 3, ["b", "a", "c"]) == [("c", pytest.approx(0.9)), ("a", 0.5), ("b", 0.5)]
