"""``careerrank scorer bias-report``: the bias audit (:mod:`careerrank.scoring.bias_audit`) of what recruiters are
shown: every resume in a vacancy's ranked top 10, with its score and the suitable flag of the serving model.

A resume event may carry ``age`` and ``gender`` (stored with its profile; no list or score ever reads them), and
the audit reads them from there. Where a resume's event carried neither, a demographics file kept apart fills
the gap: a CSV with the columns ``row``, ``age`` and ``gender`` (``m``/``f``), as the bundled SuperJob sample has
(``datasets/superjob/resumes.csv``, ids ``sj-resume-<row>``; its import leaves age and gender out of the events).
"""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from careerrank.errors import ScoringModelError
from careerrank.scoring.bias_audit import UNKNOWN, age_band, audit
from careerrank.settings import Settings
from careerrank.storage import connected

GENDERS = {"m": "male", "f": "female", "м": "male", "ж": "female"}


def read_demographics(path: Path, prefix: str = "sj-resume-") -> dict[str, tuple[str, str]]:
    """Resume id -> (gender, age band), from a CSV with ``row``, ``age`` and ``gender`` columns."""
    out: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            age = row.get("age", "").strip()
            gender = GENDERS.get(row.get("gender", "").strip().lower(), UNKNOWN)
            out[f"{prefix}{row['row'].strip()}"] = (gender, age_band(int(age) if age.isdigit() else None))
    return out


def _stored(fields: dict[str, Any]) -> tuple[str, str] | None:
    """(gender, age band) from a stored resume profile; None when it carries neither."""
    gender, age = fields.get("gender"), fields.get("age")
    if gender is None and age is None:
        return None
    return (gender if gender in ("female", "male") else UNKNOWN, age_band(age if isinstance(age, int) else None))


async def bias_report(settings: Settings, demographics: Path | None = None, out: Path | None = None) -> dict[str, Any]:
    """The audit of the shown rows of every vacancy's ranked list under the active model."""
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        version = await session.scoring_models.active_version()
        if version is None:
            raise ScoringModelError("no active scoring model: nothing is flagged suitable to audit")
        rows = await session.connection.fetch(
            """SELECT target_ids, scores, suitable FROM ranked_lists
                WHERE direction = 'vacancy_to_resume' AND model_version = $1 AND suitable IS NOT NULL""",
            version,
        )
        ids = [t for r in rows for t in r["target_ids"]]
        profiles = await session.items.profiles("resume", sorted(set(ids)))
    people = await asyncio.to_thread(read_demographics, demographics) if demographics is not None else {}
    for resume, profile in profiles.items():
        stored = _stored(profile.fields)
        if stored is not None:
            people[resume] = stored
    scores = np.array([s for r in rows for s in r["scores"]], np.float32)
    flagged = np.array([bool(f) for r in rows for f in r["suitable"]], bool)
    known = [people.get(i, (UNKNOWN, UNKNOWN)) for i in ids]
    attributes = {"gender": [g for g, _ in known], "age band": [a for _, a in known]}
    report = {"model": version, "lists": len(rows)} | audit(attributes, scores, flagged, ("gender", "age band"))
    if out is not None:
        await asyncio.to_thread(_write, out, report)
    return report


def _write(out: Path, report: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bias-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "bias-report.md").write_text(markdown(report), encoding="utf-8")


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Bias audit of {report['model']}",
        "",
        f"{report['pairs']} shown rows of {report['lists']} vacancies' lists; {report['share_flagged']} flagged "
        "suitable. Impact ratios against the most selected (highest scoring) category of 2% or more; * marks a "
        "category under 2%; ratios under 0.8 are flagged.",
    ]
    header = "| category | rows | selection rate | ratio | scoring rate | ratio |"
    for name, dimension in report["dimensions"].items():
        lines += ["", f"## {name}", "", header, "| --- | --- | --- | --- | --- | --- |"]
        for category, c in dimension["categories"].items():
            mark = "*" if c["small"] else ""
            lines.append(
                f"| {category}{mark} | {c['pairs']} | {c['selection_rate']} | {c['selection_impact_ratio']} | "
                f"{c['scoring_rate']} | {c['scoring_impact_ratio']} |"
            )
    flags = [f"{f['dimension']} / {f['category']} ({f['measure']} {f['impact_ratio']})" for f in report["flags"]]
    lines += ["", f"Below four fifths: {len(flags)}" + (": " + ", ".join(flags) if flags else "")]
    return "\n".join(lines) + "\n"
