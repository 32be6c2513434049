"""A bias audit of the scorer's outcomes, by the conventions of New York City's Local Law 144 audits of automated
employment decision tools.

For each category of a dimension (gender, age band, and their intersection) over the scored pairs:
- the *selection rate*: the share of its pairs flagged suitable;
- the *scoring rate*: the share of its pairs scoring above the median score of all pairs;
- each rate's *impact ratio*: the category's rate over that of the most selected (highest scoring) category.
Counts include "unknown". A category under 2% of the pairs is reported and marked, and is not the reference of
the ratios (LL144 lets an auditor leave such categories out of the impact ratios). Any ratio under 0.8 is flagged
(the four-fifths rule). Age and gender are read here only: they are never features of the model
(``tests/unit/test_features.py``).

Invariants: every pair counts in exactly one category of each dimension; a reference category's ratio is 1; a
ratio is ``None`` when the reference rate is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

UNKNOWN = "unknown"
SMALL = 0.02
FOUR_FIFTHS = 0.8
AGE_BANDS = ((0, 25, "under 25"), (25, 35, "25-34"), (35, 45, "35-44"), (45, 55, "45-54"), (55, 200, "55 and over"))


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    return next((name for low, high, name in AGE_BANDS if low <= age < high), UNKNOWN)


def _dimension(categories: Sequence[str], scores: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    median = float(np.median(scores))
    names = sorted(set(categories))
    labels = np.asarray(categories, dtype=object)
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        mine = labels == name
        rows[name] = {
            "pairs": int(mine.sum()),
            "share_of_pairs": round(float(mine.mean()), 4),
            "selection_rate": round(float(flagged[mine].mean()), 4),
            "scoring_rate": round(float((scores[mine] > median).mean()), 4),
            "small": bool(mine.mean() < SMALL),
        }
    eligible = [n for n in names if not rows[n]["small"] and n != UNKNOWN] or names
    flags = []
    for rate in ("selection_rate", "scoring_rate"):
        reference = max(eligible, key=lambda n: rows[n][rate])
        top = rows[reference][rate]
        for name in names:
            ratio = round(rows[name][rate] / top, 4) if top > 0 else None
            rows[name][rate.replace("_rate", "_impact_ratio")] = ratio
            if ratio is not None and ratio < FOUR_FIFTHS and name != UNKNOWN and not rows[name]["small"]:
                flags.append({"category": name, "measure": rate, "impact_ratio": ratio})
    return {"median_score": round(median, 4), "categories": rows, "below_four_fifths": flags}


def audit(
    attributes: Mapping[str, Sequence[str]], scores: np.ndarray, flagged: np.ndarray, intersect: tuple[str, str]
) -> dict[str, Any]:
    """The audit of pairs whose candidates' categories per dimension are ``attributes`` (aligned with ``scores``
    and ``flagged``), and of the intersection of the two dimensions in ``intersect``."""
    first, second = (attributes[d] for d in intersect)
    crossed = [f"{a} × {b}" for a, b in zip(first, second, strict=True)]
    dimensions = {**attributes, " × ".join(intersect): crossed}
    report = {name: _dimension(values, scores, flagged) for name, values in dimensions.items()}
    return {
        "pairs": len(scores),
        "share_flagged": round(float(flagged.mean()), 4) if len(flagged) else None,
        "dimensions": report,
        "flags": [dict(f, dimension=name) for name, r in report.items() for f in r["below_four_fifths"]],
    }
