"""Two scoring models on the same recruiter decisions: which is better, by how much, and how sure we can be.

SuperJob put no model in at once: a new one scored every application in shadow and was compared with the serving
one on fresh decisions. :func:`compare` is that comparison, pure (scores in, report out):

- ROC-AUC, PR-AUC and Brier score of each model, and the difference (challenger minus champion), each with a
  percentile bootstrap interval that resamples *vacancies*, not rows: a vacancy's decisions are made by one
  recruiter on one post and are not independent, and a row bootstrap would make the interval too narrow.
- Precision, recall and the share flagged suitable at each model's own threshold.
- How many vacancies' top 10 (of their decided pairs, by score) would change.
- A verdict: ``challenger`` or ``champion`` when the interval of the ROC-AUC difference excludes zero, otherwise
  ``equal``. Two identically trained models get ``equal``.

Invariants: the report is a function of its inputs and ``seed``; every interval holds its point estimate when the
statistic is defined on the resample; a vacancy whose rows hold one class still counts in every resample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from careerrank.scoring.calibration import brier

BOOTSTRAP = 1000
LEVEL = 0.95
TOP = 10


@dataclass(frozen=True, slots=True)
class Scored:
    """One model's calibrated scores of the decided pairs, and the threshold it flags suitable at."""

    version: str
    scores: np.ndarray
    threshold: float


def _statistics(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float, float]:
    if len(set(labels.tolist())) < 2:
        return (float("nan"), float("nan"), brier(scores, labels))
    return (
        float(roc_auc_score(labels, scores)),
        float(average_precision_score(labels, scores)),
        brier(scores, labels),
    )


def _interval(values: np.ndarray) -> list[float]:
    tail = (1 - LEVEL) / 2 * 100
    finite = values[np.isfinite(values)]
    low, high = np.percentile(finite, [tail, 100 - tail]) if len(finite) else (np.nan, np.nan)
    return [round(float(low), 4), round(float(high), 4)]


def _at_threshold(labels: np.ndarray, model: Scored) -> dict[str, float | None]:
    flagged = model.scores >= model.threshold
    positives = labels == 1
    return {
        "threshold": round(model.threshold, 4),
        "precision": round(float(labels[flagged].mean()), 4) if flagged.any() else None,
        "recall": round(float(flagged[positives].mean()), 4) if positives.any() else None,
        "share_flagged": round(float(flagged.mean()), 4) if len(flagged) else None,
    }


def _top_changes(groups: np.ndarray, champion: Scored, challenger: Scored) -> dict[str, int]:
    changed = 0
    vacancies = np.unique(groups)
    for vacancy in vacancies:
        rows = np.flatnonzero(groups == vacancy)
        a = set(rows[np.argsort(-champion.scores[rows], kind="stable")[:TOP]].tolist())
        b = set(rows[np.argsort(-challenger.scores[rows], kind="stable")[:TOP]].tolist())
        changed += a != b
    return {"vacancies": len(vacancies), "top_10_changed": changed}


def compare(
    labels: np.ndarray,
    groups: Sequence[str],
    champion: Scored,
    challenger: Scored,
    boots: int = BOOTSTRAP,
    seed: int = 0,
) -> dict[str, Any]:
    """The comparison of ``challenger`` against ``champion`` on decisions ``labels`` (1: invited), grouped by
    vacancy in ``groups`` (see the module docstring)."""
    group_array = np.asarray(groups, dtype=object)
    vacancies, inverse = np.unique(group_array, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == i) for i in range(len(vacancies))]
    models = (champion, challenger)
    point = [_statistics(labels, m.scores) for m in models]
    rng = np.random.default_rng(seed)
    draws = np.full((boots, 2, 3), np.nan)
    for b in range(boots):
        chosen = rng.integers(0, len(rows_of), len(rows_of))
        rows = np.concatenate([rows_of[i] for i in chosen])
        for m, model in enumerate(models):
            draws[b, m] = _statistics(labels[rows], model.scores[rows])
    names = ("roc_auc", "pr_auc", "brier")
    report: dict[str, Any] = {
        "decisions": len(labels),
        "invited": int(labels.sum()),
        "vacancies": len(vacancies),
        "bootstrap": {"resamples": boots, "unit": "vacancy", "level": LEVEL, "seed": seed},
    }
    for m, (role, model) in enumerate(zip(("champion", "challenger"), models, strict=True)):
        measures: dict[str, Any] = {"version": model.version}
        for k, name in enumerate(names):
            measures[name] = {"value": round(point[m][k], 4), "interval": _interval(draws[:, m, k])}
        measures["at_threshold"] = _at_threshold(labels, model)
        report[role] = measures
    report["difference"] = {
        name: {
            "value": round(point[1][k] - point[0][k], 4),
            "interval": _interval(draws[:, 1, k] - draws[:, 0, k]),
        }
        for k, name in enumerate(names)
    }
    report["lists"] = _top_changes(group_array, champion, challenger)
    low, high = report["difference"]["roc_auc"]["interval"]
    report["verdict"] = "challenger" if low > 0 else "champion" if high < 0 else "equal"
    return report
