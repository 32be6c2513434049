"""The bias audit by Local Law 144's conventions: rates and impact ratios per category, small categories marked
and never the reference, "unknown" counted, the four-fifths rule flagged, every pair in one category."""

from __future__ import annotations

import numpy as np
import pytest

from careerrank.scoring.bias_audit import UNKNOWN, age_band, audit


def test_rates_ratios_and_flags() -> None:
    # 1,000 pairs: women flagged half as often as men; a tiny category selected always; some unknown.
    gender = ["female"] * 300 + ["male"] * 600 + [UNKNOWN] * 90 + ["other"] * 10
    flagged = np.array([i % 4 == 0 for i in range(300)] + [i % 2 == 0 for i in range(600)] + [False] * 90 + [True] * 10)
    scores = np.where(flagged, 0.9, 0.1).astype(np.float32)
    ages = ["25-34"] * 1000
    report = audit({"gender": gender, "age band": ages}, scores, flagged, ("gender", "age band"))
    categories = report["dimensions"]["gender"]["categories"]
    assert sum(c["pairs"] for c in categories.values()) == 1000
    assert categories["male"]["selection_rate"] == 0.5 and categories["female"]["selection_rate"] == 0.25
    # "other" (1%) is marked small and is not the reference, though it is selected most
    assert categories["other"]["small"] and categories["male"]["selection_impact_ratio"] == 1.0
    assert categories["female"]["selection_impact_ratio"] == 0.5
    assert categories[UNKNOWN]["pairs"] == 90
    flagged_categories = {(f["dimension"], f["category"], f["measure"]) for f in report["flags"]}
    assert ("gender", "female", "selection_rate") in flagged_categories
    assert not any(c in {"other", UNKNOWN, "male"} for _, c, _ in flagged_categories if _ == "gender")
    crossed = report["dimensions"]["gender × age band"]["categories"]
    assert crossed["female × 25-34"]["pairs"] == 300


def test_equal_outcomes_flag_nothing() -> None:
    rng = np.random.default_rng(0)
    gender = rng.choice(["female", "male"], 4000).tolist()
    ages = [age_band(int(a)) for a in rng.integers(18, 70, 4000)]
    scores = rng.random(4000).astype(np.float32)
    report = audit({"gender": gender, "age band": ages}, scores, scores > 0.6, ("gender", "age band"))
    assert report["dimensions"]["gender"]["below_four_fifths"] == []
    assert report["dimensions"]["age band"]["below_four_fifths"] == []


@pytest.mark.parametrize(
    ("age", "band"), [(None, UNKNOWN), (17, "under 25"), (25, "25-34"), (54, "45-54"), (80, "55 and over")]
)
def test_age_bands(age: int | None, band: str) -> None:
    assert age_band(age) == band
