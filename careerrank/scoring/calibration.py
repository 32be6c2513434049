"""Calibration of a model's score into the probability of an invitation, and how well a score is calibrated.

Gradient-boosted trees trained on reweighted or resampled rows (sampled negatives, a handful of recruiters)
rank well but say little in absolute terms; a recruiter reads 0.9 as "nine in ten like this are invited".
Platt scaling maps the trees' log-odds ``m`` to ``sigmoid(a·m + b)``, fitted on validation rows the trees never
saw. With ``a > 0`` the map is strictly increasing, so calibration never changes an order: lists, ROC-AUC and the
rows a threshold keeps are those of the raw score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

BINS = 10


@dataclass(frozen=True, slots=True)
class Platt:
    """``probability = sigmoid(slope · margin + intercept)``; the identity on margins is ``Platt(1, 0)``."""

    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, margins: np.ndarray) -> np.ndarray:
        return np.asarray(expit(self.slope * margins.astype(np.float64) + self.intercept), np.float32)

    @classmethod
    def fit(cls, margins: np.ndarray, labels: np.ndarray, iterations: int = 100) -> Platt:
        """Maximum likelihood by Newton's method, with Platt's smoothed targets (no infinite slope on separable
        rows); the identity when the rows hold one class or the fit would not increase."""
        positives = int(labels.sum())
        negatives = len(labels) - positives
        if not positives or not negatives:
            return cls()
        target = np.where(labels == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
        x = np.stack([margins.astype(np.float64), np.ones(len(margins))], axis=1)
        w = np.array([1.0, 0.0])
        for _ in range(iterations):
            p = expit(x @ w)
            gradient = x.T @ (p - target)
            hessian = x.T @ (x * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if np.abs(step).max() < 1e-9:
                break
        if not np.all(np.isfinite(w)) or w[0] <= 0:
            return cls()
        return cls(float(w[0]), float(w[1]))


def brier(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean squared gap between the probability and the outcome (0 perfect; 0.25 a constant 0.5)."""
    return float(np.mean((probabilities.astype(np.float64) - labels) ** 2)) if len(labels) else float("nan")


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> list[dict[str, Any]]:
    """Per equal-width bin of the probability: how many rows, their mean probability, the share invited."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        rows = which == b
        if rows.any():
            out.append(
                {
                    "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                    "rows": int(rows.sum()),
                    "mean_probability": round(float(probabilities[rows].mean()), 4),
                    "share_invited": round(float(labels[rows].mean()), 4),
                }
            )
    return out


def calibration_report(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Brier score and reliability curve of calibrated probabilities against outcomes."""
    return {"brier": round(brier(probabilities, labels), 4), "reliability": reliability(probabilities, labels)}
