"""What the API answers: the response models (they are the OpenAPI schema) and how a row is made of stored data.

Each match and application carries the model's score, the suitable flag (absent while no model is active),
the model version, its reasons in English and Russian, and a fit summary computed from the two postings:
matched and missing skills, salary and experience against what the vacancy asks.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from careerrank.scoring.postings import RUB_PER, skill_key

SalaryFit = Literal["inside", "below", "above", "unknown"]


class Reason(BaseModel):
    feature: str
    effect: float = Field(description="The feature's push on the score, in log-odds (positive: for the pair).")
    side: Literal["for", "against"] = Field(description="A reason for the pair, or against it.")
    en: str
    ru: str


class Fit(BaseModel):
    matched_skills: list[str]
    missing_skills: list[str] = Field(description="Skills the vacancy lists that the resume does not.")
    salary: SalaryFit = Field(description="The resume's desired salary against the vacancy's range.")
    experience_required: float | None
    experience_actual: float | None
    experience_met: bool | None


class ItemSummary(BaseModel):
    id: str
    status: Literal["open", "closed"]
    title: str
    city: str | None
    salary_from: int | None
    salary_to: int | None
    currency: str
    experience_years: float | None
    skills: list[str]


class Match(BaseModel):
    rank: int
    target: ItemSummary
    score: float
    cosine: float
    suitable: bool | None = Field(description="Absent (null) while no scoring model is active.")
    model_version: str
    explanation: list[Reason]
    fit: Fit | None


class MatchPage(BaseModel):
    source_id: str
    direction: Literal["vacancy_to_resume", "resume_to_vacancy"]
    model_version: str = Field(
        description="The scoring model that ranked it, 'cosine' without one, 'none' before any list."
    )
    ranked_at: datetime | None
    total: int
    suitable: int | None = Field(
        description="How many of the list's rows the model flags suitable; 0: no suitable candidate among them. "
        "Null while no scoring model is active."
    )
    matches: list[Match]


class Application(BaseModel):
    resume: ItemSummary | None = Field(description="Null while the resume has not arrived.")
    resume_id: str
    submitted_at: datetime
    score: float | None = Field(description="Null until scored (an item or its vector is missing).")
    suitable: bool | None
    model_version: str | None
    explanation: list[Reason]
    fit: Fit | None


class ApplicationPage(BaseModel):
    vacancy_id: str
    filter: str
    total: int
    applications: list[Application]


class Item(BaseModel):
    id: str
    kind: Literal["vacancy", "resume"]
    status: Literal["open", "closed"]
    version: datetime
    title: str
    text: str
    skills: list[str]
    salary_from: int | None
    salary_to: int | None
    currency: str
    city: str | None
    experience_years: float | None
    language: str | None
    employer_id: str | None
    profile: dict[str, Any]


class VacancyPage(BaseModel):
    total: int
    vacancies: list[ItemSummary]


class Accepted(BaseModel):
    event_ids: list[str]
    accepted: int


def summary(row: dict[str, Any]) -> ItemSummary:
    return ItemSummary(
        id=row["id"],
        status=row["status"],
        title=row["title"],
        city=row["city"],
        salary_from=row["salary_from"],
        salary_to=row["salary_to"],
        currency=row["currency"],
        experience_years=row["experience_years"],
        skills=row["skills"],
    )


# Skills repeat across the rows of every page: each one's key is computed once per process (a bounded cache).
_skill_key = lru_cache(maxsize=65_536)(skill_key)


def fit(vacancy: dict[str, Any], resume: dict[str, Any]) -> Fit:
    """The fit summary of a pair from its two stored rows."""
    have = {_skill_key(s) for s in resume["skills"]}
    held = [(s, _skill_key(s) in have) for s in vacancy["skills"]]
    matched = [s for s, yes in held if yes]
    missing = [s for s, yes in held if not yes]
    required, actual = vacancy["experience_years"], resume["experience_years"]
    return Fit(
        matched_skills=matched,
        missing_skills=missing,
        salary=salary_fit(vacancy, resume),
        experience_required=required,
        experience_actual=actual,
        experience_met=None if required is None or actual is None else actual >= required,
    )


def salary_fit(vacancy: dict[str, Any], resume: dict[str, Any]) -> SalaryFit:
    """Where the resume's desired salary falls against the vacancy's range, in roubles (a fixed table)."""
    wanted = resume["salary_from"] if resume["salary_from"] is not None else resume["salary_to"]
    low, high = vacancy["salary_from"], vacancy["salary_to"]
    if wanted is None or (low is None and high is None):
        return "unknown"
    v_rate, r_rate = RUB_PER.get(vacancy["currency"]), RUB_PER.get(resume["currency"])
    if v_rate is None or r_rate is None:
        return "unknown"
    wanted_rub = wanted * r_rate
    if high is not None and wanted_rub > high * v_rate:
        return "above"
    if low is not None and wanted_rub < low * v_rate:
        return "below"
    return "inside"


def suitable_count(flags: list[bool | None]) -> int | None:
    """Rows flagged suitable; None where no model flagged them (cosine lists)."""
    return None if any(f is None for f in flags) else sum(1 for f in flags if f)


def reasons(stored: list[dict[str, Any]]) -> list[Reason]:
    # Reasons stored before they carried their side have it in their effect's sign.
    return [Reason(**{"side": "for" if r["effect"] > 0 else "against", **r}) for r in stored]
