"""Close events: a vacancy or resume left the market (closed, hidden or deleted)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.postings import SCHEMA_VERSION
from schemas.text_fields import EventId, ItemId
from schemas.timestamps import Timestamp


class _Closure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    schema_version: Literal[1, 2] = SCHEMA_VERSION
    event_id: EventId
    occurred_at: Timestamp
    id: ItemId
    reason: Literal["closed", "deleted"] = Field(default="closed")


class VacancyClosed(_Closure):
    """The vacancy is filled, hidden or deleted: it must leave every list."""

    type: Literal["vacancy.closed"] = "vacancy.closed"


class ResumeClosed(_Closure):
    """The resume is hidden or deleted: it must leave every list."""

    type: Literal["resume.closed"] = "resume.closed"
