"""Upsert events: a vacancy or a resume was created or changed upstream."""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

SCHEMA_VERSION: Final = 1

# C0 controls other than tab, newline and carriage return, and DEL. PostgreSQL cannot store NUL in text,
# and none of them carries meaning in a vacancy or a resume: text fields drop them, ids refuse them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _drop_controls(value: object) -> object:
    return _CONTROLS.sub("", value) if isinstance(value, str) and _CONTROLS.search(value) else value


Clean = BeforeValidator(_drop_controls)
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/]+$")]
EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]+$")
]
ShortText = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True), Clean]
Skill = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), Clean]
# Hard ceiling on free text: above it the event is rejected. Below it, the embedder still truncates
# deliberately to what the model can read (see careerrank.encoding.texts).
LongText = Annotated[str, StringConstraints(max_length=200_000), Clean]


class _Posting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: EventId = Field(description="Producer-chosen unique id of this event; redeliveries repeat it.")
    occurred_at: AwareDatetime = Field(description="When the change happened upstream; orders updates.")
    id: ItemId = Field(description="Upstream id of the vacancy or resume, chosen by the job board.")
    title: ShortText = Field(default="", description="Vacancy name, or the position a resume seeks.")
    text: LongText = Field(default="", description="Free text: vacancy duties/requirements or resume experience.")
    skills: list[Skill] = Field(default_factory=list, max_length=300)
    salary_from: int | None = Field(default=None, ge=0, le=100_000_000)
    salary_to: int | None = Field(default=None, ge=0, le=100_000_000)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "RUB"
    city: Annotated[str, StringConstraints(max_length=120, strip_whitespace=True), Clean] | None = None
    experience_years: float | None = Field(default=None, ge=0, le=70)
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = None

    @field_validator("skills", mode="before")
    @classmethod
    def _drop_blank_skills(cls, value: object) -> object:
        # A blank entry (or one of control characters only) is noise from the form, not a reason to refuse.
        if isinstance(value, list):
            return [s for s in value if not (isinstance(s, str) and not str(_drop_controls(s)).strip())]
        return value

    @model_validator(mode="after")
    def _check(self) -> _Posting:
        if not (self.title.strip() or self.text.strip() or any(s.strip() for s in self.skills)):
            raise ValueError("empty text: title, text and skills are all empty")
        if self.salary_from is not None and self.salary_to is not None and self.salary_from > self.salary_to:
            raise ValueError("salary_from is greater than salary_to")
        return self


class VacancyUpserted(_Posting):
    """A vacancy was created or changed. ``experience_years`` is the required experience."""

    type: Literal["vacancy.upserted"] = "vacancy.upserted"


class ResumeUpserted(_Posting):
    """A resume was created or changed. ``experience_years`` is the candidate's actual experience."""

    type: Literal["resume.upserted"] = "resume.upserted"
