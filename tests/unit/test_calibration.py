"""Platt calibration: it recovers a known map, never changes an order, and stays the identity where it cannot fit."""

from __future__ import annotations

import numpy as np
import pytest

from careerrank.scoring.calibration import Platt, brier, calibration_report, reliability


def test_it_recovers_the_map_that_made_the_outcomes() -> None:
    rng = np.random.default_rng(0)
    margins = rng.normal(0, 2, 20_000).astype(np.float32)
    labels = (rng.random(len(margins)) < 1 / (1 + np.exp(-(0.5 * margins - 1.0)))).astype(np.int8)
    platt = Platt.fit(margins, labels)
    assert platt.slope == pytest.approx(0.5, abs=0.05)
    assert platt.intercept == pytest.approx(-1.0, abs=0.1)
    calibrated = platt.apply(margins)
    assert brier(calibrated, labels) < brier(Platt().apply(margins), labels)
    # an increasing map: the order of every score is kept
    order = np.argsort(margins, kind="stable")
    assert (np.diff(calibrated[order]) >= 0).all()


def test_one_class_or_a_backwards_fit_leaves_the_identity() -> None:
    margins = np.linspace(-3, 3, 50, dtype=np.float32)
    assert Platt.fit(margins, np.ones(50, np.int8)) == Platt()
    assert Platt.fit(margins, (margins < 0).astype(np.int8)) == Platt()  # would reverse the order


def test_the_report_counts_every_row_once() -> None:
    probabilities = np.array([0.05, 0.15, 0.95, 0.99, 1.0], np.float32)
    labels = np.array([0, 0, 1, 1, 0], np.int8)
    bins = reliability(probabilities, labels)
    assert sum(b["rows"] for b in bins) == 5
    assert [b["bin"] for b in bins] == ["0.0-0.1", "0.1-0.2", "0.9-1.0"]
    assert bins[-1]["share_invited"] == pytest.approx(2 / 3, abs=1e-4)
    report = calibration_report(probabilities, labels)
    assert report["brier"] == pytest.approx(float(np.mean((probabilities - labels) ** 2)), abs=1e-4)
