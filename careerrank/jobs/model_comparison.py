"""``careerrank scorer compare``: the serving model against a challenger on the decisions recorded since a time.

Both models score every decided pair whose postings and vectors are stored (each through its own text
vectorizers), and :func:`careerrank.scoring.comparison.compare` weighs them. The report is printed as JSON and,
with ``--out``, written as ``comparison.json``, ``comparison.md`` and ``roc.png`` (both models' ROC curves).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from careerrank.encoding import model_id
from careerrank.errors import ScoringModelError
from careerrank.scoring.comparison import Scored, compare
from careerrank.scoring.model import ScoringModel
from careerrank.scoring.pair_scorer import PairScorer
from careerrank.scoring.training_data import Decided, load_decided
from careerrank.settings import Settings
from careerrank.storage import Session, connected


async def _versions(session: Session, champion: str | None, challenger: str | None) -> tuple[str, str]:
    """The champion (default: the active model) and the challenger (default: the shadow, else the newest
    candidate)."""
    registered = await session.scoring_models.all()
    by_state = {m.state: m.version for m in sorted(registered, key=lambda m: m.created_at)}
    champion = champion or by_state.get("active")
    challenger = challenger or by_state.get("shadow") or by_state.get("candidate")
    known = {m.version for m in registered}
    for role, version in (("champion", champion), ("challenger", challenger)):
        if version is None or version not in known:
            raise ScoringModelError(f"no {role} model to compare{f': {version}' if version else ''}")
    assert champion is not None and challenger is not None
    return champion, challenger


async def compare_models(
    settings: Settings,
    champion: str | None = None,
    challenger: str | None = None,
    since: datetime | None = None,
    out: Path | None = None,
    boots: int = 1000,
) -> dict[str, Any]:
    """Score the decisions since ``since`` with both models and compare them (see the module docstring)."""
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        champion, challenger = await _versions(session, champion, challenger)
        models = [ScoringModel.from_bytes(await session.scoring_models.artifact(v)) for v in (champion, challenger)]
        embedding_model = await session.models.active() or model_id(settings.model.name)
        decided = await load_decided(session, embedding_model, since)
    if not decided.usable:
        raise ScoringModelError("no decided pair with its postings and vectors stored to compare on")
    return await asyncio.to_thread(_compare, decided, models, since, out, boots)


def _compare(
    decided: Decided, models: list[ScoringModel], since: datetime | None, out: Path | None, boots: int
) -> dict[str, Any]:
    vacancies = [decided.vacancies[d.vacancy_id] for d in decided.usable]
    resumes = [decided.resumes[d.resume_id] for d in decided.usable]
    cosine = decided.cosines()
    scored = [Scored(m.version, PairScorer(m).score(vacancies, resumes, cosine).scores, m.threshold) for m in models]
    labels = np.array([int(d.invited) for d in decided.usable], np.int8)
    report = compare(labels, [d.vacancy_id for d in decided.usable], scored[0], scored[1], boots)
    report["since"] = since.isoformat() if since else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "comparison.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (out / "comparison.md").write_text(markdown(report), encoding="utf-8")
        roc_png(labels, scored, out / "roc.png")
    return report


def markdown(report: dict[str, Any]) -> str:
    """The comparison as a Markdown page."""
    a, b, d = report["champion"], report["challenger"], report["difference"]
    rows = [
        f"# {b['version']} (challenger) against {a['version']} (champion)",
        "",
        f"{report['decisions']} decisions ({report['invited']} invited) on {report['vacancies']} vacancies"
        + (f", recorded since {report['since']}" if report["since"] else "")
        + f"; {int(report['bootstrap']['level'] * 100)}% intervals from {report['bootstrap']['resamples']} "
        "resamples of vacancies.",
        "",
        f"**Verdict: {report['verdict']}** (by the interval of the ROC-AUC difference).",
        "",
        "| | champion | challenger | difference |",
        "| --- | --- | --- | --- |",
    ]
    for name in ("roc_auc", "pr_auc", "brier"):
        cells = [f"{m[name]['value']} [{m[name]['interval'][0]}, {m[name]['interval'][1]}]" for m in (a, b, d)]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    for name in ("threshold", "precision", "recall", "share_flagged"):
        rows.append(f"| {name} | {a['at_threshold'][name]} | {b['at_threshold'][name]} | |")
    lists = report["lists"]
    rows += [
        "",
        f"Top 10 of the decided pairs changed for {lists['top_10_changed']} of {lists['vacancies']} vacancies.",
    ]
    return "\n".join(rows) + "\n"


def roc_png(labels: np.ndarray, models: list[Scored], path: Path) -> None:
    """Both models' ROC curves, and the diagonal, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    figure, axes = plt.subplots(figsize=(5, 5), dpi=100)
    for model in models:
        fpr, tpr, _ = roc_curve(labels, model.scores)
        axes.plot(fpr, tpr, label=model.version)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.legend(loc="lower right")
    figure.savefig(path)
    plt.close(figure)
