"""Labelled sets for the evaluation: synthetic (relevance = profession) and the hand-judged SuperJob sample."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from careerrank.evaluation.metrics import Grader
from careerrank.ingest import JUDGMENTS_DIR, SUPERJOB_DIR, read_events
from careerrank.ingest.judgments import read_grades
from careerrank.synthetic import Label, generate
from schemas import Upsert


@dataclass
class LabelledSet:
    name: str
    vacancies: list[Upsert]
    resumes: list[Upsert]
    v2r: Grader
    r2v: Grader
    v_queries: list[str]  # vacancy ids evaluated as queries
    r_queries: list[str]
    # Per query: every known relevant grade (for recall and the ideal DCG); None when not known.
    v_ideal: dict[str, list[int]] | None = None
    r_ideal: dict[str, list[int]] | None = None
    notes: list[str] = field(default_factory=list)


def synthetic(n_vacancies: int = 1000, n_resumes: int = 450, seed: int = 11, queries: int = 200) -> LabelledSet:
    """Grade 2: same profession and seniority; 1: same profession; 0: otherwise."""
    vacancies: list[Upsert] = []
    resumes: list[Upsert] = []
    labels: dict[str, Label] = {}
    for event, label in generate(n_vacancies, n_resumes, seed=seed):
        (vacancies if label.kind == "vacancy" else resumes).append(event)
        labels[label.id] = label

    def grade(a: str, b: str) -> int:
        la, lb = labels[a], labels[b]
        if la.profession != lb.profession:
            return 0
        return 2 if la.seniority == lb.seniority else 1

    def ideal(queries_of: Sequence[Upsert], others: Sequence[Upsert]) -> dict[str, list[int]]:
        by_prof: dict[str, Counter[str]] = defaultdict(Counter)
        for o in others:
            by_prof[labels[o.id].profession][labels[o.id].seniority] += 1
        out = {}
        for q in queries_of:
            counts = by_prof[labels[q.id].profession]
            same = counts[labels[q.id].seniority]
            out[q.id] = [2] * same + [1] * (sum(counts.values()) - same)
        return out

    v_q = vacancies[:queries]
    r_q = resumes[:queries]
    return LabelledSet(
        f"synthetic (seed {seed}, {n_vacancies} vacancies, {n_resumes} resumes)",
        vacancies,
        resumes,
        grade,
        grade,
        [v.id for v in v_q],
        [r.id for r in r_q],
        ideal(v_q, resumes),
        ideal(r_q, vacancies),
    )


def superjob(judgments: Path = JUDGMENTS_DIR, data_dir: Path = SUPERJOB_DIR) -> LabelledSet:
    """The bundled real sample with its judgments in ``datasets/`` (rules in ``datasets/JUDGING.md``)."""
    vacancies = [e for e in read_events(data_dir / "vacancies.csv") if isinstance(e, Upsert)]
    resumes = [e for e in read_events(data_dir / "resumes.csv") if isinstance(e, Upsert)]
    grades = read_grades(judgments)
    v_queries = sorted({q for d, q, _ in grades if d == "vacancy_to_resume"})
    r_queries = sorted({q for d, q, _ in grades if d == "resume_to_vacancy"})

    def v2r(q: str, c: str) -> int | None:
        return grades.get(("vacancy_to_resume", q, c))

    def r2v(q: str, c: str) -> int | None:
        return grades.get(("resume_to_vacancy", q, c))

    def ideal(direction: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = defaultdict(list)
        for (d, q, _), g in grades.items():
            if d == direction:
                out[q].append(g)
        return dict(out)

    return LabelledSet(
        f"SuperJob sample ({len(vacancies)} vacancies, {len(resumes)} resumes; {len(grades)} judged pairs)",
        vacancies,
        resumes,
        v2r,
        r2v,
        v_queries,
        r_queries,
        ideal("vacancy_to_resume"),
        ideal("resume_to_vacancy"),
    )
