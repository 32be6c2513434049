"""What the HTTP API reads: items, the recruiters' ranked lists, a vacancy's applications, and who may see them.

Every query is bound by parameters; nothing is built from input but the table of a kind, picked from a fixed
map. The access checks are queries too: a recruiter sees a resume only when it is in the ranked list of one of
the employer's vacancies or applied to one of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from careerrank.storage.items import TABLES
from schemas import DIRECTIONS, Kind

Flag = Literal["all", "suitable", "unsuitable", "unscored"]
Order = Literal["score", "-score", "submitted", "-submitted"]
# The filter and the order are bind parameters too: one statement for every choice.
_APPLICATIONS_COUNT = """SELECT count(*) FROM applications a
     WHERE a.vacancy_id = $1 AND a.status = 'open'
       AND ($2 = 'all' OR ($2 = 'suitable' AND a.suitable) OR ($2 = 'unsuitable' AND NOT a.suitable)
            OR ($2 = 'unscored' AND a.suitable IS NULL))"""
_APPLICATIONS_PAGE = """SELECT a.resume_id, a.submitted_at, a.score, a.suitable, a.explanation, a.model_version,
           a.scored_at
      FROM applications a
     WHERE a.vacancy_id = $1 AND a.status = 'open'
       AND ($2 = 'all' OR ($2 = 'suitable' AND a.suitable) OR ($2 = 'unsuitable' AND NOT a.suitable)
            OR ($2 = 'unscored' AND a.suitable IS NULL))
     ORDER BY CASE WHEN $3 = '-score' THEN a.score END DESC NULLS LAST,
              CASE WHEN $3 = 'score' THEN a.score END ASC NULLS LAST,
              CASE WHEN $3 = '-submitted' THEN a.submitted_at END DESC,
              a.submitted_at, a.resume_id
     LIMIT $4 OFFSET $5"""
_ITEM = {
    "vacancy": """SELECT id, status, version, title, body, skills, salary_from, salary_to, currency, city,
                         experience_years, language, profile, updated_at, employer_id
                    FROM vacancies WHERE id = $1 AND title <> ''""",
    "resume": """SELECT id, status, version, title, body, skills, salary_from, salary_to, currency, city,
                        experience_years, language, profile, updated_at, NULL::text AS employer_id
                   FROM resumes WHERE id = $1 AND title <> ''""",
}


# One page of a list in one statement: the source (whether it exists, its employer, its last change if it has a
# title, its summary), its ranked list, and the summaries of the targets in rows $3 to $4 (1-based). ROW(...)
# values come back unnamed, in the order of _SUMMARY_COLUMNS.
_SUMMARY_COLUMNS = ("id", "status", "title", "skills", "salary_from", "salary_to", "currency", "city",
                    "experience_years")  # fmt: skip
_PAGE: dict[Kind, str] = {
    "vacancy": """SELECT s.id IS NOT NULL AS found, s.employer_id,
                         CASE WHEN s.title <> '' THEN s.updated_at END AS titled_at,
                         CASE WHEN s.id IS NOT NULL THEN ROW(s.id, s.status, s.title, s.skills, s.salary_from,
                              s.salary_to, s.currency, s.city, s.experience_years) END AS source,
                         r.target_ids, r.scores, r.cosines, r.suitable, r.explanations, r.model_version, r.ranked_at,
                         ARRAY(SELECT ROW(t.id, t.status, t.title, t.skills, t.salary_from, t.salary_to, t.currency,
                                          t.city, t.experience_years)
                                 FROM resumes t WHERE t.id = ANY (r.target_ids[$3:$4])) AS targets
                    FROM (VALUES (1)) AS one (x)
                    LEFT JOIN vacancies s ON s.id = $1
                    LEFT JOIN ranked_lists r ON r.direction = $2 AND r.source_id = $1""",
    "resume": """SELECT s.id IS NOT NULL AS found, NULL::text AS employer_id,
                        CASE WHEN s.title <> '' THEN s.updated_at END AS titled_at,
                        CASE WHEN s.id IS NOT NULL THEN ROW(s.id, s.status, s.title, s.skills, s.salary_from,
                             s.salary_to, s.currency, s.city, s.experience_years) END AS source,
                        r.target_ids, r.scores, r.cosines, r.suitable, r.explanations, r.model_version, r.ranked_at,
                        ARRAY(SELECT ROW(t.id, t.status, t.title, t.skills, t.salary_from, t.salary_to, t.currency,
                                         t.city, t.experience_years)
                                FROM vacancies t WHERE t.id = ANY (r.target_ids[$3:$4])) AS targets
                   FROM (VALUES (1)) AS one (x)
                   LEFT JOIN resumes s ON s.id = $1
                   LEFT JOIN ranked_lists r ON r.direction = $2 AND r.source_id = $1""",
}


def _summary(values: Sequence[Any]) -> dict[str, Any]:
    return {**dict(zip(_SUMMARY_COLUMNS, values, strict=True)), "skills": list(values[3])}


@dataclass(frozen=True, slots=True)
class ListView:
    """A source's ranked list as stored: rows best first, and when it was ranked."""

    target_ids: list[str]
    scores: list[float]
    cosines: list[float]
    suitable: list[bool | None]
    explanations: list[list[dict[str, Any]]]
    model_version: str
    ranked_at: datetime

    @classmethod
    def of(cls, row: asyncpg.Record) -> ListView:
        """From a row with ``ranked_lists``' columns; every row's flag is None while no model is active."""
        flags = row["suitable"]
        return cls(
            list(row["target_ids"]),
            list(row["scores"]),
            list(row["cosines"]),
            list(flags) if flags is not None else [None] * len(row["target_ids"]),
            json.loads(row["explanations"]),
            row["model_version"],
            row["ranked_at"],
        )


@dataclass(frozen=True, slots=True)
class ApplicationView:
    resume_id: str
    submitted_at: datetime
    score: float | None
    suitable: bool | None
    explanation: list[dict[str, Any]]
    model_version: str | None
    scored_at: datetime | None


@dataclass(frozen=True, slots=True)
class PageView:
    """One page of a source's list as :meth:`MatchViews.page` reads it."""

    found: bool  # the source exists (with a title or without)
    employer_id: str | None  # a vacancy's employer
    titled_at: datetime | None  # the source's last change, if it is an item a reader may see (it has a title)
    source: dict[str, Any] | None  # the source's summary, if it exists
    ranked: ListView | None
    targets: dict[str, dict[str, Any]]  # the summaries of the page's targets that exist, by id


class MatchViews:
    """Read queries of the API over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def item(self, kind: Kind, item_id: str) -> dict[str, Any] | None:
        """One item's stored fields (its profile decoded), open or closed; None if never seen."""
        row = await self._conn.fetchrow(_ITEM[kind], item_id)
        if row is None:
            return None
        return {**dict(row), "skills": list(row["skills"]), "profile": json.loads(row["profile"])}

    async def summaries(self, kind: Kind, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The fields a row of a list shows, by id."""
        rows = await self._conn.fetch(
            f"""SELECT id, status, version, title, skills, salary_from, salary_to, currency, city, experience_years
                  FROM {TABLES[kind]} WHERE id = ANY($1::text[])""",
            list(ids),
        )
        return {r["id"]: {**dict(r), "skills": list(r["skills"])} for r in rows}

    async def ranked(self, source_kind: Kind, source_id: str) -> ListView | None:
        row = await self._conn.fetchrow(
            """SELECT target_ids, scores, cosines, suitable, explanations, model_version, ranked_at
                 FROM ranked_lists WHERE direction = $1 AND source_id = $2""",
            DIRECTIONS[source_kind],
            source_id,
        )
        return ListView.of(row) if row is not None else None

    async def page(self, kind: Kind, source_id: str, offset: int, limit: int) -> PageView:
        """Everything one page of a source's list shows, in one query (one round trip on the hot path): whether
        the source exists and its employer, its summary, its ranked list, and the summaries of the page's
        targets (rows ``offset`` to ``offset + limit``)."""
        row = await self._conn.fetchrow(_PAGE[kind], source_id, DIRECTIONS[kind], offset + 1, offset + limit)
        ranked = ListView.of(row) if row["model_version"] is not None else None
        source = _summary(row["source"]) if row["source"] is not None else None
        targets = {t[0]: _summary(t) for t in row["targets"]}
        return PageView(row["found"], row["employer_id"], row["titled_at"], source, ranked, targets)

    async def applications_changed(self, vacancy_id: str) -> datetime | None:
        """The last time any application of the vacancy changed or was scored (None: it has none)."""
        changed: datetime | None = await self._conn.fetchval(
            "SELECT max(greatest(version, scored_at)) FROM applications WHERE vacancy_id = $1", vacancy_id
        )
        return changed

    async def applications(
        self, vacancy_id: str, flag: Flag, order: Order, limit: int, offset: int
    ) -> tuple[int, list[ApplicationView]]:
        """``(how many match the filter, one page of them)``, open applications only."""
        total = await self._conn.fetchval(_APPLICATIONS_COUNT, vacancy_id, flag)
        rows = await self._conn.fetch(_APPLICATIONS_PAGE, vacancy_id, flag, order, limit, offset)
        return int(total), [
            ApplicationView(
                r["resume_id"],
                r["submitted_at"],
                r["score"],
                r["suitable"],
                json.loads(r["explanation"]) if r["explanation"] is not None else [],
                r["model_version"],
                r["scored_at"],
            )
            for r in rows
        ]

    async def employer_vacancies(
        self, employer_id: str | None, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """An employer's vacancies (every employer's for ``None``), open first, newest first."""
        total = await self._conn.fetchval(
            "SELECT count(*) FROM vacancies WHERE title <> '' AND ($1::text IS NULL OR employer_id = $1)", employer_id
        )
        rows = await self._conn.fetch(
            """SELECT id, status, version, title, skills, salary_from, salary_to, currency, city, experience_years,
                      employer_id
                 FROM vacancies WHERE title <> '' AND ($1::text IS NULL OR employer_id = $1)
                ORDER BY status = 'open' DESC, version DESC, id LIMIT $2 OFFSET $3""",
            employer_id,
            limit,
            offset,
        )
        return int(total), [{**dict(r), "skills": list(r["skills"])} for r in rows]

    async def employer_of(self, vacancy_id: str) -> tuple[bool, str | None]:
        """``(whether the vacancy exists, its employer)``."""
        row = await self._conn.fetchrow("SELECT employer_id FROM vacancies WHERE id = $1", vacancy_id)
        return (row is not None, row["employer_id"] if row is not None else None)

    async def resume_visible_to(self, employer_id: str, resume_id: str) -> bool:
        """Whether the resume is in a ranked list of one of the employer's vacancies or applied to one."""
        return bool(
            await self._conn.fetchval(
                """SELECT EXISTS (
                       SELECT 1 FROM vacancies v JOIN ranked_lists r
                         ON r.direction = 'vacancy_to_resume' AND r.source_id = v.id
                        WHERE v.employer_id = $1 AND $2 = ANY (r.target_ids))
                    OR EXISTS (
                       SELECT 1 FROM applications a JOIN vacancies v ON v.id = a.vacancy_id
                        WHERE a.resume_id = $2 AND a.status = 'open' AND v.employer_id = $1)""",
                employer_id,
                resume_id,
            )
        )
