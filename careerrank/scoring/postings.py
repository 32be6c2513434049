"""What the scorer reads of one vacancy or resume, and the numbers it derives from it once.

A :class:`Posting` is built from a stored row or straight from an event; :class:`Traits` holds what the pair
features compare (salary in roubles, months at the last job, the education level, language levels, ...),
computed once per posting version so that scoring a hundred candidates costs comparisons, not parsing.
Age and gender are not read here at all, and neither is the year an education ended (a proxy of age).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from careerrank.scoring.occupations import masks, occupations_of
from careerrank.scoring.seniority import level_of
from schemas import Kind, ResumeUpserted, Upsert, kind_of
from schemas.profiles import EDUCATION_ORDER, LANGUAGE_ORDER, LanguageSkill

# Roubles per unit, a fixed table: salary features compare orders of magnitude, not exchange-rate noise.
RUB_PER: dict[str, float] = {
    "RUB": 1.0, "USD": 90.0, "EUR": 98.0, "GBP": 115.0, "KZT": 0.19, "BYN": 27.0, "UAH": 2.2, "UZS": 0.0072,
}  # fmt: skip
_SKILL_SPACE = re.compile(r"\s+")
# A profile keeps what its event set; a language without a level has the schema's default.
DEFAULT_LEVEL = LanguageSkill.model_fields["level"].default


def skill_key(skill: str) -> str:
    """A skill as compared: lower case, single spaces, ``ё`` as ``е``."""
    return _SKILL_SPACE.sub(" ", skill.strip().lower().replace("ё", "е"))


@dataclass(frozen=True, slots=True)
class Posting:
    """One vacancy or resume as stored (the fields of its newest event)."""

    kind: Kind
    id: str
    version: datetime
    title: str
    body: str
    skills: tuple[str, ...] = ()
    salary_from: int | None = None
    salary_to: int | None = None
    currency: str = "RUB"
    city: str | None = None
    experience_years: float | None = None
    language: str | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)
    employer_id: str | None = None

    @classmethod
    def from_row(cls, kind: Kind, row: Mapping[str, Any]) -> Posting:
        """From :meth:`careerrank.storage.items.Items.postings`."""
        return cls(
            kind,
            row["id"],
            row["version"],
            row["title"],
            row["body"],
            tuple(row["skills"]),
            row["salary_from"],
            row["salary_to"],
            (row["currency"] or "RUB").strip(),
            row["city"],
            row["experience_years"],
            row["language"],
            row["profile"],
            row.get("employer_id"),
        )

    @classmethod
    def from_event(cls, event: Upsert) -> Posting:
        return cls(
            kind_of(event),
            event.id,
            event.occurred_at,
            event.title,
            event.text,
            tuple(event.skills),
            event.salary_from,
            event.salary_to,
            event.currency,
            event.city,
            event.experience_years,
            event.language,
            event.profile(),
            None if isinstance(event, ResumeUpserted) else event.employer_id,
        )

    @property
    def periods(self) -> list[Mapping[str, Any]]:
        return list(self.profile.get("work_history", []))

    def past_positions(self) -> str:
        return "\n".join(p.get("position", "") for p in self.periods)

    def last_position(self) -> str:
        # The current job, else the one that ended last ("9999" sorts an open period after any month).
        periods = sorted(self.periods, key=lambda p: (p.get("end") or "9999", p.get("start", "")))
        return periods[-1].get("position", "") if periods else ""

    def past_duties(self) -> str:
        return "\n".join(p.get("duties", "") for p in self.periods)


def _month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


@dataclass(frozen=True, slots=True)
class Traits:
    """The numbers and sets of one posting that the pair features compare (NaN: not stated)."""

    salary_low_rub: float
    salary_high_rub: float
    currency: str
    city: str | None
    remote: bool | None
    relocation: bool | None
    experience: float
    education: float  # the highest level (resume) or the one required (vacancy)
    languages: dict[str, int]  # code -> level order
    employment: frozenset[str]
    schedule: frozenset[str]
    skills: frozenset[str]
    months_last_job: float
    average_tenure: float
    jobs: int
    employed_now: float
    months_out_of_work: float
    completeness: float
    text_length: float
    language: str | None = None
    # the occupations of the title (primary first) and of the positions held, as careerrank.scoring.occupations.masks
    occupations: np.ndarray = field(default_factory=lambda: masks((), ()))
    seniority: int | None = None  # of the title (careerrank.scoring.seniority)
    numbers: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the scalars above, in NUMBERS order

    @classmethod
    def of(cls, posting: Posting) -> Traits:
        p = posting.profile
        rate = RUB_PER.get(posting.currency)
        low = posting.salary_from if posting.salary_from is not None else posting.salary_to
        high = posting.salary_to if posting.salary_to is not None else posting.salary_from
        nan = math.nan
        if posting.kind == "vacancy":
            education = float(EDUCATION_ORDER[p["required_education"]]) if p.get("required_education") else nan
            languages = {
                lang["code"]: LANGUAGE_ORDER[lang.get("level", DEFAULT_LEVEL)]
                for lang in p.get("required_languages", [])
            }
        else:
            levels = [EDUCATION_ORDER[e["level"]] for e in p.get("education", [])]
            education = float(max(levels)) if levels else nan
            languages = {
                lang["code"]: LANGUAGE_ORDER[lang.get("level", DEFAULT_LEVEL)] for lang in p.get("languages", [])
            }
        tenure = _Tenure.of(posting)
        stated = [
            bool(posting.title),
            bool(posting.body),
            bool(posting.skills),
            low is not None,
            posting.city is not None,
            posting.experience_years is not None,
            bool(p.get("work_history")),
            bool(p.get("education") or p.get("required_education")),
            bool(p.get("languages") or p.get("required_languages")),
            bool(p.get("employment")),
        ]
        return cls(
            salary_low_rub=low * rate if low is not None and rate else nan,
            salary_high_rub=high * rate if high is not None and rate else nan,
            currency=posting.currency,
            city=posting.city.strip().lower() if posting.city else None,
            remote=p.get("remote"),
            relocation=p.get("relocation"),
            experience=posting.experience_years if posting.experience_years is not None else nan,
            education=education,
            languages=languages,
            employment=frozenset(p.get("employment", [])),
            schedule=frozenset(p.get("schedule", [])),
            skills=frozenset(skill_key(s) for s in posting.skills),
            months_last_job=tenure.last,
            average_tenure=tenure.average,
            jobs=tenure.jobs,
            employed_now=tenure.employed_now,
            months_out_of_work=tenure.out_of_work,
            completeness=sum(stated) / len(stated),
            text_length=math.log1p(len(posting.title) + len(posting.body)),
            language=posting.language,
            occupations=masks(
                occupations_of(posting.title), occupations_of(posting.past_positions()), posting.kind == "vacancy"
            ),
            seniority=level_of(posting.title),
        ).with_numbers()

    def with_numbers(self) -> Traits:
        """This, with :attr:`numbers` filled: what the pair features compare as arrays, one row per posting."""
        values = [
            self.salary_low_rub,
            self.salary_high_rub,
            self.experience,
            self.education,
            self.months_last_job,
            self.average_tenure,
            float(self.jobs),
            self.employed_now,
            self.months_out_of_work,
            self.completeness,
            self.text_length,
            _flag(self.remote),
            _flag(self.relocation),
            _code(self.city),
            _code(self.currency),
            _code(self.language),
            float(len(self.skills)),
            float(len(self.languages)),
            float(self.languages.get("en", -1)),
        ]
        return replace(self, numbers=np.array(values, np.float64))


# The columns of Traits.numbers.
NUMBERS = (
    "salary_low", "salary_high", "experience", "education", "months_last_job", "average_tenure", "jobs",
    "employed_now", "months_out_of_work", "completeness", "text_length", "remote", "relocation", "city",
    "currency", "language", "skills", "languages", "english",
)  # fmt: skip
COLUMN = {name: i for i, name in enumerate(NUMBERS)}


def _flag(value: bool | None) -> float:
    return math.nan if value is None else float(value)


def _code(text: str | None) -> float:
    """A number standing for ``text`` (equal texts, equal numbers; NaN for none): compared, never ordered."""
    return math.nan if text is None else float(zlib.crc32(text.encode()))


@dataclass(frozen=True, slots=True)
class _Tenure:
    last: float
    average: float
    jobs: int
    employed_now: float
    out_of_work: float

    @classmethod
    def of(cls, posting: Posting) -> _Tenure:
        nan = math.nan
        periods = posting.periods
        if posting.kind != "resume" or not periods:
            return cls(nan, nan, 0, nan, nan)
        # Open periods run to the resume's own date: the features must not drift with the clock.
        now = posting.version.year * 12 + posting.version.month - 1
        spans = []
        for period in periods:
            start = _month_index(period["start"])
            end = _month_index(period["end"]) if period.get("end") else now
            spans.append((start, max(start, end) + 1))
        latest = max(spans, key=lambda s: s[1])
        employed_now = any(not period.get("end") for period in periods)
        return cls(
            last=float(latest[1] - latest[0]),
            average=sum(e - s for s, e in spans) / len(spans),
            jobs=len(spans),
            employed_now=float(employed_now),
            out_of_work=0.0 if employed_now else float(max(0, now - latest[1] + 1)),
        )
