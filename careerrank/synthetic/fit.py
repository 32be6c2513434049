"""The hidden fit of a synthetic (vacancy, resume) pair: the truth simulated recruiters decide by.

It reads the ground-truth labels (profession and seniority) and what a recruiter reads off the two postings:
salary, city, experience, languages, education. Age and gender are never read. The fit stays out of every
event: a scorer learns it only through the recruiters' decisions.
"""

from __future__ import annotations

from typing import Literal

from careerrank.synthetic.generator import Label
from careerrank.synthetic.professions import BY_KEY
from schemas import ResumeUpserted, VacancyUpserted
from schemas.profiles import EDUCATION_ORDER, LANGUAGE_ORDER

Relation = Literal["same", "neighbour", "other"]
SENIORITIES = ("junior", "middle", "senior", "lead")
_PROFESSION_FIT: dict[Relation, float] = {"same": 1.0, "neighbour": 0.6, "other": 0.1}
_SENIORITY_FIT = (1.0, 0.9, 0.65, 0.4)  # by the distance between the two grades
# A vacancy giving only its lower bound usually pays this much more at most.
_OPEN_TOP = 1.25


def relation(vacancy_label: Label, resume_label: Label) -> Relation:
    """Whether the two professions are the same, neighbours (either way round), or unrelated."""
    if vacancy_label.profession == resume_label.profession:
        return "same"
    ours, theirs = BY_KEY[vacancy_label.profession], BY_KEY[resume_label.profession]
    if theirs.key in ours.neighbours or ours.key in theirs.neighbours:
        return "neighbour"
    return "other"


def _salary(vacancy: VacancyUpserted, resume: ResumeUpserted) -> float:
    wanted = resume.salary_from if resume.salary_from is not None else resume.salary_to
    if vacancy.salary_to is not None:
        top: float | None = vacancy.salary_to
    else:
        top = vacancy.salary_from * _OPEN_TOP if vacancy.salary_from is not None else None
    # Not stated on either side, or in currencies a recruiter would not compare: no reason for or against.
    if wanted is None or top is None or not top or vacancy.currency != resume.currency:
        return 1.0
    over = wanted / top - 1.0
    return 1.0 if over <= 0 else max(0.3, 1.0 - 1.2 * over)


def _place(vacancy: VacancyUpserted, resume: ResumeUpserted) -> float:
    if vacancy.remote or vacancy.city is None:
        return 0.9 if resume.remote is False else 1.0
    if resume.city is not None and resume.city.casefold() == vacancy.city.casefold():
        return 1.0
    if resume.relocation:
        return 0.9
    return 0.9 if resume.city is None else 0.65


def _months(resume: ResumeUpserted) -> int:
    def index(month: str) -> int:
        return int(month[:4]) * 12 + int(month[5:7]) - 1

    now = resume.occurred_at.year * 12 + resume.occurred_at.month - 1
    return sum((index(p.end) if p.end else now) - index(p.start) + 1 for p in resume.work_history)


def _experience(vacancy: VacancyUpserted, resume: ResumeUpserted) -> float:
    required = vacancy.experience_years
    actual = resume.experience_years
    if actual is None and resume.work_history:
        actual = _months(resume) / 12  # the recruiter counts the work history when the total is not stated
    if required is None or actual is None or actual >= required:
        return 1.0
    return max(0.4, 1.0 - 0.2 * (required - actual))


def _languages(vacancy: VacancyUpserted, resume: ResumeUpserted) -> float:
    spoken = {skill.code: LANGUAGE_ORDER[skill.level] for skill in resume.languages}
    out = 1.0
    for wanted in vacancy.required_languages:
        level = spoken.get(wanted.code)
        if level is None:
            out *= 0.5
        elif level < LANGUAGE_ORDER[wanted.level]:
            out *= 0.8
    return out


def _education(vacancy: VacancyUpserted, resume: ResumeUpserted) -> float:
    if vacancy.required_education is None:
        return 1.0
    if not resume.education:
        return 0.85
    short = EDUCATION_ORDER[vacancy.required_education] - max(EDUCATION_ORDER[e.level] for e in resume.education)
    return 1.0 if short <= 0 else 0.8 if short == 1 else 0.6


def hidden_fit(vacancy: VacancyUpserted, vacancy_label: Label, resume: ResumeUpserted, resume_label: Label) -> float:
    """How well the resume fits the vacancy, in [0, 1]; known only to the simulation, never published."""
    grades = abs(SENIORITIES.index(vacancy_label.seniority) - SENIORITIES.index(resume_label.seniority))
    fit = _PROFESSION_FIT[relation(vacancy_label, resume_label)] * _SENIORITY_FIT[grades]
    conditions = (_salary, _place, _experience, _languages, _education)
    for condition in conditions:
        fit *= condition(vacancy, resume)
    return fit
