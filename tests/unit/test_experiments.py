"""Experiments on recruiters: deterministic assignment, team-draft interleaving's invariants and credit, the A/B
report, and the behaviour of both tests on simulated recruiters."""

from __future__ import annotations

import random

import numpy as np
import pytest

from careerrank.experiments.ab_test import Arm, ab_report, sample_size
from careerrank.experiments.assignment import variant
from careerrank.experiments.interleaving import A, B, Interleaved, credit, interleaving_report, team_draft
from careerrank.experiments.power import experiment_power


def test_assignment_is_stable_balanced_and_independent_between_experiments() -> None:
    employers = [f"employer-{i}" for i in range(20_000)]
    first = [variant(e, "ranker-v2", ["control", "treatment"]) for e in employers]
    assert first == [variant(e, "ranker-v2", ["control", "treatment"]) for e in employers]
    assert abs(first.count("treatment") / len(first) - 0.5) < 0.02
    weighted = [variant(e, "ranker-v2", ["control", "treatment"], [0.9, 0.1]) for e in employers]
    assert abs(weighted.count("treatment") / len(weighted) - 0.1) < 0.01
    other = [variant(e, "threshold-lower", ["control", "treatment"]) for e in employers]
    both = sum(a == b == "treatment" for a, b in zip(first, other, strict=True)) / len(employers)
    assert abs(both - 0.25) < 0.02  # a second experiment reshuffles employers
    with pytest.raises(ValueError, match="weight"):
        variant("e", "x", ["a", "b"], [1.0])


def test_team_draft_keeps_its_invariants() -> None:
    rng = random.Random(0)
    for _ in range(500):
        pool = [str(i) for i in range(15)]
        a, b = rng.sample(pool, 12), rng.sample(pool, 12)
        merged = team_draft(a, b, 10, rng)
        assert len(merged.rows) == 10 == len(set(merged.rows))
        for k in range(1, 11):
            assert abs(merged.teams[:k].count(A) - merged.teams[:k].count(B)) <= 1
        for row, team in zip(merged.rows, merged.teams, strict=True):
            assert row in (a if team == A else b)
    assert team_draft(["x"], ["x"], 10, rng).rows == ["x"]


def test_credit_goes_to_the_team_whose_rows_were_invited() -> None:
    merged = Interleaved(["1", "2", "3", "4"], [A, B, B, A])
    assert credit(merged, ["2", "3"]) == B
    assert credit(merged, ["1"]) == A
    assert credit(merged, ["1", "2"]) is None and credit(merged, []) is None
    report = interleaving_report([B] * 30 + [A] * 10 + [None] * 60)
    assert report["wins"] == {A: 10, B: 30, "ties": 60}
    assert report["preference_for_b"] == 0.5 and report["significant"]


def test_the_ab_report_says_when_it_knows() -> None:
    small = ab_report(Arm("control", 400, 40), Arm("treatment", 400, 48))
    assert not small["significant"] and small["conclusion"] == "not significant yet"
    assert small["needed_per_arm"] == sample_size(0.1, 0.2) > 400
    large = ab_report(Arm("control", 40_000, 4_000), Arm("treatment", 40_000, 4_800))
    assert large["significant"] and large["conclusion"] == "treatment raises the invite rate"
    same = ab_report(Arm("control", 40_000, 4_000), Arm("treatment", 40_000, 4_010))
    assert same["conclusion"] == "no difference at this size"


@pytest.mark.slow
def test_on_simulated_recruiters_the_tests_find_the_effect_and_rarely_a_false_one() -> None:
    result = experiment_power(effect=0.2, seeds=200)
    assert result["invite_rates"]["b"] == pytest.approx(1.2 * result["invite_rates"]["a"], rel=0.02)
    # Planned for power 0.8: the share detected is 0.8 up to the seeds' sampling error (±0.03 at 200).
    assert result["ab"]["detected_share"] >= 0.72
    assert result["ab"]["aa_significant_share"] <= 0.07
    # Interleaving reaches the same power with fewer impressions than the A/B test.
    enough = result["interleaving"]["impressions_for_power"]
    assert enough is not None and enough < result["ab"]["impressions"]
    assert np.isfinite(result["interleaving"]["fewer_impressions_than_ab"])
