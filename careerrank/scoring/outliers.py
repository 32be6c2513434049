"""The outlier filter SuperJob applied before training, with a report of what it excluded and why.

- Vacancies whose invite count or reject count is a box-plot outlier (above Q3 + 1.5 IQR of all vacancies):
  mass invitations or mass rejections say more about the vacancy's process than about the pairs.
- Recruiters who invite nearly everyone whatever the text says (across professions).
- Recruiters whose decisions run against the text: the pairs they invite are less alike than those they reject
  (swapped buttons, or a habit of inverting the meaning).

"Against the text" is measured by a text relevance the labels do not define (embedding cosine and title
similarity), as a rank AUC of each recruiter's decisions; only recruiters with enough decisions are judged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_DECISIONS = 15
INVITES_EVERYONE_RATE = 0.8
INVITES_EVERYONE_AUC = 0.6
AGAINST_TEXT_AUC = 0.35


@dataclass
class FilterReport:
    """What was excluded and why; ``kept`` is a boolean mask over the input rows."""

    kept: np.ndarray
    vacancies: dict[str, str] = field(default_factory=dict)  # vacancy id -> reason
    recruiters: dict[str, dict[str, Any]] = field(default_factory=dict)  # recruiter id -> reason and stats

    def summary(self) -> dict[str, Any]:
        reasons: dict[str, int] = defaultdict(int)
        for reason in self.vacancies.values():
            reasons[reason] += 1
        recruiter_reasons: dict[str, int] = defaultdict(int)
        for info in self.recruiters.values():
            recruiter_reasons[info["reason"]] += 1
        return {
            "rows_in": len(self.kept),
            "rows_excluded": int((~self.kept).sum()),
            "vacancies_excluded": dict(reasons),
            "recruiters_excluded": dict(recruiter_reasons),
            "recruiters": {k: self.recruiters[k] for k in sorted(self.recruiters)[:20]},
        }


def rank_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC-AUC by ranks (ties averaged); NaN when one class is missing."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if not positives or not negatives:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), np.float64)
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    averaged = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(averaged, counts)
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _box_outliers(counts: dict[str, int]) -> set[str]:
    if len(counts) < 8:
        return set()
    values = np.fromiter(counts.values(), np.float64)
    q1, q3 = np.percentile(values, [25, 75])
    top = q3 + 1.5 * (q3 - q1)
    return {k for k, v in counts.items() if v > top and v > q3}


def filter_outliers(
    vacancy_ids: np.ndarray, recruiter_ids: np.ndarray, labels: np.ndarray, relevance: np.ndarray
) -> FilterReport:
    """Rows to keep for training, and why the others were excluded."""
    kept = np.ones(len(labels), bool)
    report = FilterReport(kept)
    invites: dict[str, int] = defaultdict(int)
    rejects: dict[str, int] = defaultdict(int)
    for vacancy, label in zip(vacancy_ids.tolist(), labels.tolist(), strict=True):
        invites[vacancy] += int(label)
        rejects[vacancy] += int(not label)
    for vacancy in _box_outliers(invites):
        report.vacancies[vacancy] = "invite count is a box-plot outlier"
    for vacancy in _box_outliers(rejects):
        report.vacancies.setdefault(vacancy, "reject count is a box-plot outlier")
    by_recruiter: dict[str, list[int]] = defaultdict(list)
    for i, recruiter in enumerate(recruiter_ids.tolist()):
        by_recruiter[recruiter].append(i)
    for recruiter, rows in by_recruiter.items():
        if len(rows) < MIN_DECISIONS:
            continue
        index = np.asarray(rows)
        rate = float(labels[index].mean())
        auc = rank_auc(relevance[index], labels[index])
        stats = {"decisions": len(rows), "invite_rate": round(rate, 3), "text_auc": round(auc, 3)}
        if rate >= INVITES_EVERYONE_RATE and not auc >= INVITES_EVERYONE_AUC:
            report.recruiters[recruiter] = {"reason": "invites nearly everyone, whatever the text", **stats}
        elif auc <= AGAINST_TEXT_AUC:
            report.recruiters[recruiter] = {"reason": "decisions run against the text", **stats}
    excluded_vacancies = np.isin(vacancy_ids, list(report.vacancies))
    excluded_recruiters = np.isin(recruiter_ids, list(report.recruiters))
    kept &= ~(excluded_vacancies | excluded_recruiters)
    return report
