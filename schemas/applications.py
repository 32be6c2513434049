"""Application events: a candidate's resume applied to a vacancy, or the application was withdrawn.

An application is the pair ``(vacancy_id, resume_id)``: applying again to the same vacancy is the same
application, newer. The scorer scores every open one, whether or not the pair is among the vacancy's
recommended candidates. New in schema version 2.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.text_fields import EventId, ItemId
from schemas.timestamps import Timestamp


class _Application(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    schema_version: Literal[2] = 2
    event_id: EventId = Field(description="Producer-chosen unique id of this event; redeliveries repeat it.")
    occurred_at: Timestamp = Field(description="When it happened upstream; orders the application's events.")
    vacancy_id: ItemId
    resume_id: ItemId


class ApplicationSubmitted(_Application):
    """The resume applied to the vacancy: score it and show it to the vacancy's recruiters."""

    type: Literal["application.submitted"] = "application.submitted"


class ApplicationWithdrawn(_Application):
    """The candidate withdrew the application: it leaves the recruiter's tabs."""

    type: Literal["application.withdrawn"] = "application.withdrawn"
