"""Upsert events: a vacancy or a resume was created or changed upstream."""

from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from schemas.profiles import Education, EducationLevel, Employment, LanguageSkill, Schedule, WorkPeriod
from schemas.text_fields import Clean, EventId, ItemId, LongText, ShortText, Skill, drop_controls
from schemas.timestamps import Timestamp

# 2 added the structured fields below (work history, education, languages, work conditions, the employer);
# producers still on 1 are accepted, without them.
SCHEMA_VERSION: Final = 2
SCHEMA_VERSIONS: Final = (1, 2)
MAX_PERIODS = 60


class _Posting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    schema_version: Literal[1, 2] = SCHEMA_VERSION
    event_id: EventId = Field(description="Producer-chosen unique id of this event; redeliveries repeat it.")
    occurred_at: Timestamp = Field(description="When the change happened upstream; orders updates.")
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
            return [s for s in value if not (isinstance(s, str) and not str(drop_controls(s)).strip())]
        return value

    @model_validator(mode="after")
    def _check(self) -> _Posting:
        if not (self.title.strip() or self.text.strip() or any(s.strip() for s in self.skills)):
            raise ValueError("empty text: title, text and skills are all empty")
        if self.salary_from is not None and self.salary_to is not None and self.salary_from > self.salary_to:
            raise ValueError("salary_from is greater than salary_to")
        if self.schema_version == 1 and (newer := sorted(self.model_fields_set & self.VERSION_2_FIELDS)):
            raise ValueError(f"fields of schema_version 2 in an event of version 1: {', '.join(newer)}")
        return self

    VERSION_2_FIELDS: ClassVar[frozenset[str]] = frozenset()

    def profile(self) -> dict[str, object]:
        """The structured fields of version 2 that are set, as JSON-ready values (what storage keeps)."""
        return self.model_dump(
            mode="json", include=set(self.VERSION_2_FIELDS), exclude_none=True, exclude_defaults=True
        )


class VacancyUpserted(_Posting):
    """A vacancy was created or changed. ``experience_years`` is the required experience."""

    type: Literal["vacancy.upserted"] = "vacancy.upserted"
    employer_id: ItemId | None = Field(default=None, description="The employer; recruiters see their own only.")
    required_education: EducationLevel | None = Field(default=None, description="This level or any above it.")
    required_languages: list[LanguageSkill] = Field(default_factory=list, max_length=20)
    employment: list[Employment] = Field(default_factory=list, max_length=5, description="Any of these.")
    schedule: list[Schedule] = Field(default_factory=list, max_length=5, description="Any of these.")
    remote: bool | None = Field(default=None, description="Whether the work can be done remotely.")

    VERSION_2_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"employer_id", "required_education", "required_languages", "employment", "schedule", "remote"}
    )


class ResumeUpserted(_Posting):
    """A resume was created or changed. ``experience_years`` is the candidate's actual experience.

    ``age`` and ``gender`` may be carried (job boards hold them) but no list or score ever reads them."""

    type: Literal["resume.upserted"] = "resume.upserted"
    work_history: list[WorkPeriod] = Field(default_factory=list, max_length=MAX_PERIODS)
    education: list[Education] = Field(default_factory=list, max_length=20)
    languages: list[LanguageSkill] = Field(default_factory=list, max_length=20)
    relocation: bool | None = Field(default=None, description="Ready to move to the vacancy's city.")
    remote: bool | None = Field(default=None, description="Wants, or accepts, remote work.")
    employment: list[Employment] = Field(default_factory=list, max_length=5, description="Any of these.")
    schedule: list[Schedule] = Field(default_factory=list, max_length=5, description="Any of these.")
    age: int | None = Field(default=None, ge=14, le=100)
    gender: Literal["female", "male"] | None = None

    VERSION_2_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"work_history", "education", "languages", "relocation", "remote", "employment", "schedule", "age", "gender"}
    )
