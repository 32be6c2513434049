"""Data access for recruiter feedback: every decision and shown row as it arrived, kept whatever came first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from schemas import FeedbackRecorded


@dataclass(frozen=True, slots=True)
class Decision:
    """A recruiter's latest invite or reject of one pair (what training labels)."""

    vacancy_id: str
    resume_id: str
    recruiter_id: str
    employer_id: str
    invited: bool
    occurred_at: datetime


class Feedback:
    """Queries on ``feedback`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(self, events: Sequence[FeedbackRecorded]) -> set[str]:
        """Store ``events``; return the event ids new to the table (a redelivery inserts nothing)."""
        rows = await self._conn.fetch(
            """INSERT INTO feedback (event_id, vacancy_id, resume_id, recruiter_id, employer_id, decision,
                                     position, occurred_at)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                    $7::smallint[], $8::timestamptz[])
               ON CONFLICT (event_id) DO NOTHING
               RETURNING event_id""",
            [e.event_id for e in events],
            [e.vacancy_id for e in events],
            [e.resume_id for e in events],
            [e.recruiter_id for e in events],
            [e.employer_id for e in events],
            [e.decision for e in events],
            [e.position for e in events],
            [e.occurred_at for e in events],
        )
        return {r["event_id"] for r in rows}

    async def decisions(self, since: datetime | None = None) -> list[Decision]:
        """Each recruiter's latest invite or reject per pair, oldest first (``since``: decided at or after)."""
        rows = await self._conn.fetch(
            """SELECT DISTINCT ON (vacancy_id, resume_id, recruiter_id)
                      vacancy_id, resume_id, recruiter_id, employer_id, decision, occurred_at
                 FROM feedback
                WHERE decision <> 'shown' AND ($1::timestamptz IS NULL OR occurred_at >= $1)
                ORDER BY vacancy_id, resume_id, recruiter_id, occurred_at DESC, event_id DESC""",
            since,
        )
        out = [
            Decision(
                r["vacancy_id"],
                r["resume_id"],
                r["recruiter_id"],
                r["employer_id"],
                r["decision"] == "invited",
                r["occurred_at"],
            )
            for r in rows
        ]
        out.sort(key=lambda d: (d.occurred_at, d.vacancy_id, d.resume_id))
        return out
