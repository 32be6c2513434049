"""The sheets a judge reads (``datasets/judging``): a query and the candidates nobody has judged for it yet.

One sheet per query; each posting shows its title, city, experience, salary, skills and the head of its text,
never the method that proposed it nor its rank (``datasets/JUDGING.md``). :func:`sheets_for_learned_lists` puts on
sheets what the learned lists of the judged evaluation show and nobody judged yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from careerrank.evaluation.datasets import superjob
from careerrank.evaluation.judged_scoring import run_judged
from schemas import Upsert

SHOWN = 10


def snippet(event: Upsert, chars: int) -> str:
    text = " ".join(event.text.split())
    skills = ", ".join(event.skills[:15])
    salary = f"{event.salary_from or ''}–{event.salary_to or ''} {event.currency}" if event.salary_from else "—"
    exp = "—" if event.experience_years is None else f"{event.experience_years:g}"
    return (
        f"**{event.title}** · город: {event.city or '—'} · опыт: {exp} · зарплата: {salary}\n"
        f"навыки: {skills or '—'}\n{text[:chars]}"
    )


def write_sheet(path: Path, direction: str, query: Upsert, candidates: Sequence[Upsert]) -> None:
    """A sheet of ``candidates`` (sorted by id, so that no order hints at a rank) for ``query``."""
    sheet = [f"# {direction}: {query.id}", "", "## Query", snippet(query, 900), "", "## Candidates"]
    for candidate in sorted(candidates, key=lambda c: c.id):
        sheet += ["", f"### {candidate.id}", snippet(candidate, 300)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sheet) + "\n", encoding="utf-8")


def sheets_for_learned_lists(
    folder: Path, candidates: Sequence[int] = (100,), encoder: str = "use-multilingual"
) -> dict[str, Any]:
    """A sheet in ``folder`` per judged query whose learned top 10 (cross-validated, with and without sampled
    negatives, re-ranking the cosine top ``candidates``) shows pairs nobody judged; returns the counts."""
    data = superjob()
    graders = {"vacancy_to_resume": data.v2r, "resume_to_vacancy": data.r2v}
    events = {e.id: e for e in [*data.vacancies, *data.resumes]}
    todo: dict[tuple[str, str], set[str]] = defaultdict(set)
    for depth in candidates:
        run = run_judged(encoder, candidates=depth)
        for direction, queries in run.queries.items():
            for q in queries:
                fold = run.folds[q.group]
                for cv in (run.cv, run.without_sampled):
                    order = np.argsort(-cv.probabilities(fold, q.features), kind="stable")[:SHOWN]
                    shown = [q.candidates[i] for i in order]
                    todo[q.group].update(c for c in shown if graders[direction](q.group[1], c) is None)
    for n, ((direction, query), cands) in enumerate(sorted(todo.items())):
        if cands:
            write_sheet(folder / f"{direction}-{n:02d}.md", direction, events[query], [events[c] for c in cands])
    return {"queries": sum(1 for c in todo.values() if c), "new_pairs": sum(len(c) for c in todo.values())}
