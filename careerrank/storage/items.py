"""Data access for vacancies and resumes: their rows, versions, status and how far they are matched."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from schemas import Closure, Kind, Upsert

# Table names come only from this mapping, never from input.
TABLES: dict[Kind, str] = {"vacancy": "vacancies", "resume": "resumes"}


@dataclass(frozen=True, slots=True)
class ItemState:
    """An item as the embedder sees it: its version and status, and the text hash of its stored vector."""

    version: datetime
    status: str
    embedded_hash: bytes | None  # of the stored embedding for the model asked about


@dataclass(frozen=True, slots=True)
class ItemVersion:
    """An item as the matcher sees it: its version, status, and the version whose lists are committed."""

    version: datetime
    status: str
    matched_version: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class Profile:
    """An item's structured fields (``fields``, JSON as its event carried them) and a vacancy's employer."""

    fields: dict[str, Any]
    employer_id: str | None


@dataclass(frozen=True, slots=True)
class SnapshotItem:
    """An open item as the reindex reads it: its text fields and the stored vector's fingerprint."""

    item_id: str
    version: datetime
    title: str
    body: str
    skills: list[str]
    embedded_hash: bytes | None  # of the stored vector for the reindex's model, if any
    embedded_version: datetime | None


_SNAPSHOT_SELECT = """SELECT t.id, t.version, t.title, t.body, t.skills, e.text_hash, e.version AS embedded_version
      FROM {table} t
      LEFT JOIN embeddings e ON e.kind = $1 AND e.item_id = t.id AND e.model = $2
     WHERE t.status = 'open'"""


@dataclass(frozen=True, slots=True)
class _EmployerSql:
    """Constant SQL fragments for the employer column, which only vacancies have."""

    column: str = ""
    value: str = ""
    parameter: str = ""
    update: str = ""
    read: str = "NULL AS employer_id"


_EMPLOYER_SQL: dict[Kind, _EmployerSql] = {
    "vacancy": _EmployerSql(
        ", employer_id", ", u.employer_id", ", $14::text[]", "employer_id = EXCLUDED.employer_id,", "employer_id"
    ),
    "resume": _EmployerSql(),
}


class Items:
    """Queries on ``vacancies`` and ``resumes`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def states(self, kind: Kind, ids: Sequence[str], model: str) -> dict[str, ItemState]:
        rows = await self._conn.fetch(
            f"""SELECT t.id, t.version, t.status, e.text_hash AS embedded_hash
                  FROM {TABLES[kind]} t
                  LEFT JOIN embeddings e ON e.kind = $2 AND e.item_id = t.id AND e.model = $3
                 WHERE t.id = ANY($1::text[])""",
            list(ids),
            kind,
            model,
        )
        return {r["id"]: ItemState(r["version"], r["status"], r["embedded_hash"]) for r in rows}

    async def upsert(self, kind: Kind, events: Sequence[Upsert], hashes: Sequence[bytes]) -> set[str]:
        """Write items (one event per id); return the ids written.

        A row only moves forward in ``version``, so out-of-order events and racing writers are safe.
        """
        # A vacancy's employer is a column of its own (recruiters read by it); a resume has none.
        employer = kind == "vacancy"
        part = _EMPLOYER_SQL[kind]
        rows = await self._conn.fetch(
            f"""INSERT INTO {TABLES[kind]} AS t (id, version, status, title, body, skills, salary_from, salary_to,
                                                currency, city, experience_years, language, text_hash, profile
                                                {part.column})
                SELECT u.id, u.version, 'open', u.title, u.body,
                       ARRAY(SELECT jsonb_array_elements_text(u.skills)), u.salary_from, u.salary_to,
                       u.currency, u.city, u.experience_years, u.language, u.text_hash, u.profile
                       {part.value}
                  FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[], $6::int[],
                              $7::int[], $8::text[], $9::text[], $10::real[], $11::text[], $12::bytea[],
                              $13::jsonb[] {part.parameter})
                       AS u(id, version, title, body, skills, salary_from, salary_to, currency, city,
                            experience_years, language, text_hash, profile {part.column})
                ON CONFLICT (id) DO UPDATE SET
                    version = EXCLUDED.version, status = 'open', title = EXCLUDED.title, body = EXCLUDED.body,
                    skills = EXCLUDED.skills, salary_from = EXCLUDED.salary_from, salary_to = EXCLUDED.salary_to,
                    currency = EXCLUDED.currency, city = EXCLUDED.city,
                    experience_years = EXCLUDED.experience_years, language = EXCLUDED.language,
                    text_hash = EXCLUDED.text_hash, profile = EXCLUDED.profile,
                    {part.update} updated_at = now()
                WHERE t.version < EXCLUDED.version
                RETURNING t.id""",
            [e.id for e in events],
            [e.occurred_at for e in events],
            [e.title for e in events],
            [e.text for e in events],
            [json.dumps(list(e.skills), ensure_ascii=False) for e in events],
            [e.salary_from for e in events],
            [e.salary_to for e in events],
            [e.currency for e in events],
            [e.city for e in events],
            [e.experience_years for e in events],
            [e.language for e in events],
            list(hashes),
            [json.dumps(e.profile(), ensure_ascii=False) for e in events],
            *([[getattr(e, "employer_id", None) for e in events]] if employer else []),
        )
        return {r["id"] for r in rows}

    async def profiles(self, kind: Kind, ids: Sequence[str]) -> dict[str, Profile]:
        """The structured fields of schema version 2 of these items, as their events carried them."""
        rows = await self._conn.fetch(
            f"""SELECT id, profile, {_EMPLOYER_SQL[kind].read} FROM {TABLES[kind]} WHERE id = ANY($1::text[])""",
            list(ids),
        )
        return {r["id"]: Profile(json.loads(r["profile"]), r["employer_id"]) for r in rows}

    async def postings(self, kind: Kind, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Everything the scorer reads of these items (open or not): text, salary, place, experience, profile."""
        rows = await self._conn.fetch(
            f"""SELECT id, version, status, title, body, skills, salary_from, salary_to, currency, city,
                       experience_years, language, profile, {_EMPLOYER_SQL[kind].read}
                  FROM {TABLES[kind]} WHERE id = ANY($1::text[])""",
            list(ids),
        )
        return [{**dict(r), "skills": list(r["skills"]), "profile": json.loads(r["profile"])} for r in rows]

    async def updated_since(self, kind: Kind, since: datetime) -> list[tuple[str, datetime, bool]]:
        """``(id, version, is open)`` of the items written at or after ``since``."""
        rows = await self._conn.fetch(
            f"SELECT id, version, status = 'open' AS is_open FROM {TABLES[kind]} WHERE updated_at >= $1", since
        )
        return [(r["id"], r["version"], r["is_open"]) for r in rows]

    async def close(self, kind: Kind, events: Sequence[Closure]) -> set[str]:
        """Mark items closed; return the ids closed.

        A close for an unknown id is remembered, so an older upsert arriving late stays out.
        """
        rows = await self._conn.fetch(
            f"""INSERT INTO {TABLES[kind]} AS t (id, version, status, title, body)
                SELECT u.id, u.version, 'closed', '', ''
                  FROM unnest($1::text[], $2::timestamptz[]) AS u(id, version)
                ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, status = 'closed', updated_at = now()
                WHERE t.version < EXCLUDED.version
                RETURNING t.id""",
            [e.id for e in events],
            [e.occurred_at for e in events],
        )
        return {r["id"] for r in rows}

    async def versions(self, kind: Kind, ids: Sequence[str]) -> dict[str, ItemVersion]:
        rows = await self._conn.fetch(
            f"SELECT id, version, status, matched_version FROM {TABLES[kind]} WHERE id = ANY($1::text[])",
            list(ids),
        )
        return {r["id"]: ItemVersion(r["version"], r["status"], r["matched_version"]) for r in rows}

    async def mark_matched(self, kind: Kind, ids: Sequence[str], versions: Sequence[datetime]) -> int:
        """Record that the lists of these items are committed at these versions; only rows that move forward
        are written. Return their count."""
        status = await self._conn.execute(
            f"""UPDATE {TABLES[kind]} t SET matched_version = u.version, matched_at = now()
                  FROM unnest($1::text[], $2::timestamptz[]) AS u(id, version)
                 WHERE t.id = u.id AND (t.matched_version IS NULL OR t.matched_version < u.version)""",
            list(ids),
            list(versions),
        )
        return int(status.split()[-1])

    async def open_snapshot(self, kind: Kind, model: str) -> list[SnapshotItem]:
        """Every open item with what the encoder needs, and its stored vector's hash and version for ``model``."""
        query = _SNAPSHOT_SELECT.format(table=TABLES[kind]) + " ORDER BY t.id"
        return [_snapshot_item(r) for r in await self._conn.fetch(query, kind, model)]

    async def unembedded(self, kind: Kind, model: str) -> list[SnapshotItem]:
        """Open items whose vector for ``model`` is missing or older than the item (moved on meanwhile)."""
        query = _SNAPSHOT_SELECT.format(table=TABLES[kind]) + " AND (e.version IS NULL OR e.version < t.version)"
        return [_snapshot_item(r) for r in await self._conn.fetch(query, kind, model)]

    async def count_open(self, kind: Kind, *, matched: bool = False) -> int:
        """Open items of ``kind``; with ``matched``, only those whose lists are committed at their version."""
        return int(
            await self._conn.fetchval(
                f"SELECT count(*) FROM {TABLES[kind]} WHERE status = 'open' AND (NOT $1 OR matched_version = version)",
                matched,
            )
        )

    async def first_open(self, kind: Kind, limit: int) -> list[tuple[str, str]]:
        """``(id, title)`` of the first open items by id (examples for a report)."""
        rows = await self._conn.fetch(
            f"SELECT id, title FROM {TABLES[kind]} WHERE status = 'open' ORDER BY id LIMIT $1", limit
        )
        return [(r["id"], r["title"]) for r in rows]

    async def sample_open(self, kind: Kind, limit: int, seed: str) -> list[str]:
        """Ids of up to ``limit`` open items in an order fixed by ``seed`` and each id: a uniform, repeatable
        sample (the candidates of sampled negatives, :mod:`careerrank.scoring.sampled_negatives`)."""
        rows = await self._conn.fetch(
            f"SELECT id FROM {TABLES[kind]} WHERE status = 'open' ORDER BY md5($2 || id), id LIMIT $1", limit, seed
        )
        return [r["id"] for r in rows]

    async def analyze(self) -> None:
        """Refresh the planner's statistics of the items and vectors (after a bulk load)."""
        for statement in ("ANALYZE vacancies", "ANALYZE resumes", "ANALYZE embeddings"):
            await self._conn.execute(statement)


def _snapshot_item(r: asyncpg.Record) -> SnapshotItem:
    return SnapshotItem(
        r["id"], r["version"], r["title"], r["body"], list(r["skills"]), r["text_hash"], r["embedded_version"]
    )
