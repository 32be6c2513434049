"""Recruiter feedback: what a recruiter was shown, and whom they invited or rejected.

Training reads these: an invitation is a relevant pair, a rejection an irrelevant one, and ``shown`` says what
the recruiter saw, so that a pair nobody looked at is not mistaken for a rejected one. New in schema version 2.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.text_fields import EventId, ItemId
from schemas.timestamps import Timestamp

Decision = Literal["invited", "rejected", "shown"]


class FeedbackRecorded(BaseModel):
    """A recruiter's decision on a (vacancy, resume) pair, or one row of a list they were shown.

    A shown list is many events, one per row with its ``position``, usually sent as one batch message.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    type: Literal["feedback.recorded"] = "feedback.recorded"
    schema_version: Literal[2] = 2
    event_id: EventId = Field(description="Producer-chosen unique id of this event; redeliveries repeat it.")
    occurred_at: Timestamp = Field(description="When the recruiter acted.")
    vacancy_id: ItemId
    resume_id: ItemId
    recruiter_id: ItemId
    employer_id: ItemId
    decision: Decision
    position: int | None = Field(default=None, ge=1, le=1000, description="Rank of the row shown (shown only).")

    @model_validator(mode="after")
    def _position_of_shown_only(self) -> FeedbackRecorded:
        if self.position is not None and self.decision != "shown":
            raise ValueError("position is given for a decision other than shown")
        return self
