"""The structured parts of a posting (schema version 2): work history, education, languages, work conditions.

What SuperJob's scorer read off a resume and a vacancy besides their text: months at the last job and on
average, whether the sought position is new for the candidate, education and language requirements met,
employment type and schedule fit. Every field is optional: a posting of version 1 simply has none of them.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.text_fields import Duties, ShortText

Month = Annotated[str, StringConstraints(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]

EducationLevel = Literal["secondary", "vocational", "incomplete_higher", "higher", "bachelor", "master", "phd"]
# Ordered from least to most: a requirement is met by its level or any after it. A bachelor's or master's
# degree is higher education; a PhD is above both.
EDUCATION_ORDER: Final[dict[str, int]] = {
    "secondary": 0,
    "vocational": 1,
    "incomplete_higher": 2,
    "higher": 3,
    "bachelor": 3,
    "master": 4,
    "phd": 5,
}
LanguageLevel = Literal["basic", "technical", "conversational", "fluent", "native"]
LANGUAGE_ORDER: Final[dict[str, int]] = {"basic": 0, "technical": 1, "conversational": 2, "fluent": 3, "native": 4}
Employment = Literal["full", "part", "project", "internship", "volunteer"]
Schedule = Literal["full_day", "shift", "flexible", "remote", "rotation"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class WorkPeriod(_Part):
    """One job of a resume's work history; ``end`` is None while the candidate still works there."""

    position: ShortText = Field(min_length=1)
    employer: ShortText | None = None
    start: Month = Field(description="First month, YYYY-MM.")
    end: Month | None = Field(default=None, description="Last month, YYYY-MM; None: works there now.")
    duties: Duties = ""

    @model_validator(mode="after")
    def _ordered(self) -> WorkPeriod:
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class Education(_Part):
    """One education of a resume: its level, the year it ended (or ends), its field."""

    level: EducationLevel
    year: int | None = Field(default=None, ge=1900, le=2100)
    field: ShortText = ""


class LanguageSkill(_Part):
    """A language and how well: ISO 639-1 code and a level from ``basic`` to ``native``."""

    code: LanguageCode
    level: LanguageLevel = "conversational"
