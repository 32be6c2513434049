"""Data access for applications: which resume applied to which vacancy, and its stored score."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from schemas import ApplicationEvent

Pair = tuple[str, str]  # (vacancy_id, resume_id)


@dataclass(frozen=True, slots=True)
class ScoredApplication:
    """The score of one open application under ``model_version``; what the recruiter's tabs show.

    ``suitable`` is None while no model is active (the score is then the cosine, and no flag is guessed)."""

    vacancy_id: str
    resume_id: str
    score: float
    suitable: bool | None
    explanation: list[dict[str, Any]]
    model_version: str
    vacancy_version: datetime
    resume_version: datetime


@dataclass(frozen=True, slots=True)
class PendingApplication:
    """An open application whose score is missing or stale, with the current versions of its items."""

    vacancy_id: str
    resume_id: str
    vacancy_version: datetime
    resume_version: datetime


class Applications:
    """Queries on ``applications`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def apply(self, events: Sequence[ApplicationEvent]) -> set[str]:
        """Apply submissions and withdrawals newer than what is stored; return the event ids applied.

        Versions decide, so events may arrive in any order: a late submission does not reopen an application
        withdrawn after it. A (re)submission clears the stored score: the scorer scores it again. Of several
        events of one pair in ``events`` only the newest can apply; all of them go in one statement.
        """
        newest: dict[Pair, ApplicationEvent] = {}
        for event in events:
            key = (event.vacancy_id, event.resume_id)
            if key not in newest or event.occurred_at > newest[key].occurred_at:
                newest[key] = event
        if not newest:
            return set()
        chosen = list(newest.values())
        rows = await self._conn.fetch(
            """INSERT INTO applications AS a (vacancy_id, resume_id, status, version, submitted_at)
               SELECT vacancy_id, resume_id, status, version, version
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
                      AS e(vacancy_id, resume_id, status, version)
               ON CONFLICT (vacancy_id, resume_id) DO UPDATE
                  SET status = EXCLUDED.status, version = EXCLUDED.version,
                      submitted_at = CASE WHEN EXCLUDED.status = 'open' THEN EXCLUDED.version
                                          ELSE a.submitted_at END,
                      score = NULL, suitable = NULL, explanation = NULL, model_version = NULL,
                      vacancy_version = NULL, resume_version = NULL, scored_at = NULL
                WHERE a.version < EXCLUDED.version
               RETURNING vacancy_id, resume_id""",
            [e.vacancy_id for e in chosen],
            [e.resume_id for e in chosen],
            ["open" if e.type == "application.submitted" else "withdrawn" for e in chosen],
            [e.occurred_at for e in chosen],
        )
        return {newest[(r["vacancy_id"], r["resume_id"])].event_id for r in rows}

    async def pending(
        self, embedding_model: str, model_version: str, vacancies: Sequence[str] | None, max_vacancies: int = 200
    ) -> list[PendingApplication]:
        """Open applications not scored by ``model_version`` at their items' current versions, whose items and
        vectors are stored; every such application of up to ``max_vacancies`` vacancies (of ``vacancies``, or
        any), so that a vacancy's applications move to a new model together."""
        rows = await self._conn.fetch(
            """WITH pending AS (
                   SELECT a.vacancy_id, a.resume_id, v.version AS vacancy_version, r.version AS resume_version
                     FROM applications a
                     JOIN vacancies v ON v.id = a.vacancy_id
                     JOIN resumes r ON r.id = a.resume_id
                     JOIN embeddings ev ON ev.kind = 'vacancy' AND ev.item_id = a.vacancy_id AND ev.model = $1
                                       AND ev.version = v.version
                     JOIN embeddings er ON er.kind = 'resume' AND er.item_id = a.resume_id AND er.model = $1
                                       AND er.version = r.version
                    WHERE a.status = 'open' AND ($3::text[] IS NULL OR a.vacancy_id = ANY($3::text[]))
                      AND (a.model_version IS DISTINCT FROM $2 OR a.vacancy_version IS DISTINCT FROM v.version
                           OR a.resume_version IS DISTINCT FROM r.version)),
               chosen AS (SELECT DISTINCT vacancy_id FROM pending ORDER BY vacancy_id LIMIT $4)
               SELECT p.* FROM pending p JOIN chosen c USING (vacancy_id) ORDER BY p.vacancy_id, p.resume_id""",
            embedding_model,
            model_version,
            None if vacancies is None else list(vacancies),
            max_vacancies,
        )
        return [PendingApplication(r[0], r[1], r[2], r[3]) for r in rows]

    async def store_scores(self, scored: Sequence[ScoredApplication]) -> int:
        """Write scores of applications still open; return how many rows took them."""
        result = await self._conn.execute(
            """UPDATE applications AS a
                  SET score = s.score, suitable = s.suitable, explanation = s.explanation::jsonb,
                      model_version = s.model_version, vacancy_version = s.vacancy_version,
                      resume_version = s.resume_version, scored_at = now()
                 FROM unnest($1::text[], $2::text[], $3::real[], $4::boolean[], $5::text[], $6::text[],
                             $7::timestamptz[], $8::timestamptz[])
                      AS s(vacancy_id, resume_id, score, suitable, explanation, model_version, vacancy_version,
                           resume_version)
                WHERE a.vacancy_id = s.vacancy_id AND a.resume_id = s.resume_id AND a.status = 'open'""",
            [s.vacancy_id for s in scored],
            [s.resume_id for s in scored],
            [s.score for s in scored],
            [s.suitable for s in scored],
            [json.dumps(s.explanation, ensure_ascii=False) for s in scored],
            [s.model_version for s in scored],
            [s.vacancy_version for s in scored],
            [s.resume_version for s in scored],
        )
        return int(result.split()[-1])
