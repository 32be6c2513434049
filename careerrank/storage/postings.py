"""Data access for vacancies and resumes, their embeddings and the processed-event log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import numpy as np
import numpy.typing as npt

from schemas import Closure, Kind, Upsert
from schemas.index_updates import KINDS as KINDS  # re-exported: callers take them from here too
from schemas.index_updates import opposite as opposite

# Table names come only from this mapping, never from input.
TABLES: dict[Kind, str] = {"vacancy": "vacancies", "resume": "resumes"}


@dataclass(frozen=True, slots=True)
class ItemState:
    version: datetime
    status: str
    embedded_hash: bytes | None  # text hash of the stored embedding for the current model


@dataclass(frozen=True, slots=True)
class StoredEmbedding:
    item_id: str
    version: datetime
    vector: npt.NDArray[np.float32]


async def processed_event_ids(conn: asyncpg.Connection, event_ids: Sequence[str]) -> set[str]:
    rows = await conn.fetch("SELECT event_id FROM processed_events WHERE event_id = ANY($1::text[])", event_ids)
    return {r["event_id"] for r in rows}


async def item_states(conn: asyncpg.Connection, kind: Kind, ids: Sequence[str], model: str) -> dict[str, ItemState]:
    rows = await conn.fetch(
        f"""SELECT t.id, t.version, t.status, e.text_hash AS embedded_hash
              FROM {TABLES[kind]} t
              LEFT JOIN embeddings e ON e.kind = $2 AND e.item_id = t.id AND e.model = $3
             WHERE t.id = ANY($1::text[])""",
        ids,
        kind,
        model,
    )
    return {r["id"]: ItemState(r["version"], r["status"], r["embedded_hash"]) for r in rows}


async def upsert_items(
    conn: asyncpg.Connection, kind: Kind, events: Sequence[Upsert], hashes: Sequence[bytes]
) -> set[str]:
    """Write items (one event per id); return the ids written.

    A row only moves forward in ``version``, so out-of-order events and racing writers are safe.
    """
    rows = await conn.fetch(
        f"""INSERT INTO {TABLES[kind]} AS t (id, version, status, title, body, skills, salary_from, salary_to,
                                            currency, city, experience_years, language, text_hash)
            SELECT u.id, u.version, 'open', u.title, u.body,
                   ARRAY(SELECT jsonb_array_elements_text(u.skills)), u.salary_from, u.salary_to,
                   u.currency, u.city, u.experience_years, u.language, u.text_hash
              FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[], $6::int[],
                          $7::int[], $8::text[], $9::text[], $10::real[], $11::text[], $12::bytea[])
                   AS u(id, version, title, body, skills, salary_from, salary_to, currency, city,
                        experience_years, language, text_hash)
            ON CONFLICT (id) DO UPDATE SET
                version = EXCLUDED.version, status = 'open', title = EXCLUDED.title, body = EXCLUDED.body,
                skills = EXCLUDED.skills, salary_from = EXCLUDED.salary_from, salary_to = EXCLUDED.salary_to,
                currency = EXCLUDED.currency, city = EXCLUDED.city,
                experience_years = EXCLUDED.experience_years, language = EXCLUDED.language,
                text_hash = EXCLUDED.text_hash, updated_at = now()
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
    )
    return {r["id"] for r in rows}


async def close_items(conn: asyncpg.Connection, kind: Kind, events: Sequence[Closure]) -> set[str]:
    """Mark items closed and drop their vectors; return the ids closed.

    A close for an unknown id is remembered, so an older upsert arriving late stays out.
    """
    ids = [e.id for e in events]
    versions = [e.occurred_at for e in events]
    rows = await conn.fetch(
        f"""INSERT INTO {TABLES[kind]} AS t (id, version, status, title, body)
            SELECT u.id, u.version, 'closed', '', '' FROM unnest($1::text[], $2::timestamptz[]) AS u(id, version)
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, status = 'closed', updated_at = now()
            WHERE t.version < EXCLUDED.version
            RETURNING t.id""",
        ids,
        versions,
    )
    await conn.execute(
        """DELETE FROM embeddings e USING unnest($2::text[], $3::timestamptz[]) AS c(id, version)
            WHERE e.kind = $1 AND e.item_id = c.id AND e.version < c.version""",
        kind,
        ids,
        versions,
    )
    return {r["id"] for r in rows}


async def bump_embedding_versions(
    conn: asyncpg.Connection, kind: Kind, model: str, rows: Sequence[tuple[str, datetime]]
) -> None:
    """An update that kept the text keeps its vector; only the version moves."""
    await conn.execute(
        """UPDATE embeddings e SET version = u.version
             FROM unnest($3::text[], $4::timestamptz[]) AS u(id, version)
            WHERE e.kind = $1 AND e.model = $2 AND e.item_id = u.id AND e.version < u.version""",
        kind,
        model,
        [r[0] for r in rows],
        [r[1] for r in rows],
    )


async def record_processed(conn: asyncpg.Connection, records: Iterable[tuple[str, Kind, str, str]]) -> None:
    """Log ``(event_id, kind, item_id, outcome)``; a redelivered event is then recognised."""
    rows = list(records)
    await conn.execute(
        """INSERT INTO processed_events (event_id, kind, item_id, outcome)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
           ON CONFLICT (event_id) DO NOTHING""",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
    )


async def current_versions(
    conn: asyncpg.Connection, kind: Kind, ids: Sequence[str]
) -> dict[str, tuple[datetime, str, datetime | None]]:
    """``id -> (version, status, matched_version)``."""
    rows = await conn.fetch(
        f"SELECT id, version, status, matched_version FROM {TABLES[kind]} WHERE id = ANY($1::text[])", ids
    )
    return {r["id"]: (r["version"], r["status"], r["matched_version"]) for r in rows}


async def fetch_embeddings(
    conn: asyncpg.Connection, kind: Kind, model: str, ids: Sequence[str]
) -> dict[str, StoredEmbedding]:
    rows = await conn.fetch(
        "SELECT item_id, version, vector FROM embeddings WHERE kind = $1 AND model = $2 AND item_id = ANY($3::text[])",
        kind,
        model,
        ids,
    )
    return {r["item_id"]: StoredEmbedding(r["item_id"], r["version"], vector_from(r["vector"])) for r in rows}


async def load_open_embeddings(
    conn: asyncpg.Connection, kind: Kind, model: str, matched_only: bool = False
) -> tuple[list[str], list[datetime], npt.NDArray[np.float32]]:
    """Every open item's vector (``matched_only``: of those matched at some version), for rebuilding the index."""
    ids: list[str] = []
    versions: list[datetime] = []
    chunks: list[bytes] = []
    dim = 0
    async with conn.transaction():
        cursor = conn.cursor(
            f"""SELECT e.item_id, e.version, e.dim, e.vector
                  FROM embeddings e JOIN {TABLES[kind]} t ON t.id = e.item_id
                 WHERE e.kind = $1 AND e.model = $2 AND t.status = 'open'
                   AND (NOT $3 OR t.matched_version IS NOT NULL)
                 ORDER BY e.item_id""",
            kind,
            model,
            matched_only,
            prefetch=5000,
        )
        async for r in cursor:
            ids.append(r["item_id"])
            versions.append(r["version"])
            chunks.append(r["vector"])
            dim = r["dim"]
    matrix = np.frombuffer(b"".join(chunks), dtype="<f4").reshape(len(ids), dim) if ids else np.zeros((0, 0), "<f4")
    return ids, versions, matrix.astype(np.float32, copy=False)


async def mark_matched(conn: asyncpg.Connection, kind: Kind, rows: Sequence[tuple[str, datetime]]) -> None:
    await conn.execute(
        f"""UPDATE {TABLES[kind]} t SET matched_version = u.version, matched_at = now()
              FROM unnest($1::text[], $2::timestamptz[]) AS u(id, version)
             WHERE t.id = u.id AND t.matched_version IS DISTINCT FROM u.version
               AND (t.matched_version IS NULL OR t.matched_version < u.version)""",
        [r[0] for r in rows],
        [r[1] for r in rows],
    )


def vector_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def vector_from(data: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


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


async def open_items(conn: asyncpg.Connection, kind: Kind, model: str) -> list[SnapshotItem]:
    """Every open item with what the encoder needs, and its stored vector's hash and version for ``model``."""
    query = _SNAPSHOT_SELECT.format(table=TABLES[kind]) + " ORDER BY t.id"
    return [_snapshot_item(r) for r in await conn.fetch(query, kind, model)]


async def unembedded_items(conn: asyncpg.Connection, kind: Kind, model: str) -> list[SnapshotItem]:
    """Open items whose vector for ``model`` is missing or older than the item (moved on during a reindex)."""
    query = _SNAPSHOT_SELECT.format(table=TABLES[kind]) + " AND (e.version IS NULL OR e.version < t.version)"
    return [_snapshot_item(r) for r in await conn.fetch(query, kind, model)]


def _snapshot_item(r: asyncpg.Record) -> SnapshotItem:
    return SnapshotItem(
        r["id"], r["version"], r["title"], r["body"], list(r["skills"]), r["text_hash"], r["embedded_version"]
    )


async def copy_embeddings(
    conn: asyncpg.Connection,
    kind: Kind,
    model: str,
    items: Sequence[tuple[str, datetime, bytes]],
    matrix: npt.NDArray[np.float32],
) -> None:
    """Store vectors: COPY into a temporary table, then one upsert. Use in a transaction.

    ``items`` are ``(item_id, version, text_hash)`` for the rows of ``matrix``. A vector never replaces a newer
    one (out-of-order events, or an embedder that moved the item on while a reindex ran).
    """
    if not items:
        return
    dim = int(matrix.shape[1])
    data = np.ascontiguousarray(matrix, dtype="<f4")
    await conn.execute(
        """CREATE TEMPORARY TABLE IF NOT EXISTS embeddings_incoming
               (item_id text, version timestamptz, text_hash bytea, vector bytea) ON COMMIT DELETE ROWS"""
    )
    await conn.copy_records_to_table(
        "embeddings_incoming",
        records=[(i, v, h, data[row].tobytes()) for row, (i, v, h) in enumerate(items)],
        columns=["item_id", "version", "text_hash", "vector"],
    )
    await conn.execute(
        """INSERT INTO embeddings AS e (kind, item_id, model, version, text_hash, dim, vector)
           SELECT $1, item_id, $2, version, text_hash, $3, vector FROM embeddings_incoming
           ON CONFLICT (kind, item_id, model) DO UPDATE SET
               version = EXCLUDED.version, text_hash = EXCLUDED.text_hash, dim = EXCLUDED.dim,
               vector = EXCLUDED.vector, created_at = now()
           WHERE e.version <= EXCLUDED.version""",
        kind,
        model,
        dim,
    )
    await conn.execute("TRUNCATE embeddings_incoming")


async def analyze(conn: asyncpg.Connection) -> None:
    """Refresh the planner's statistics of the items and vectors (after a bulk load)."""
    for statement in ("ANALYZE vacancies", "ANALYZE resumes", "ANALYZE embeddings"):
        await conn.execute(statement)


async def mark_matched_bulk(
    conn: asyncpg.Connection, kind: Kind, ids: Sequence[str], versions: Sequence[datetime]
) -> int:
    """:func:`mark_matched` for a whole index; only rows that move forward are written. Return their count."""
    status = await conn.execute(
        f"""UPDATE {TABLES[kind]} t SET matched_version = u.version, matched_at = now()
              FROM unnest($1::text[], $2::timestamptz[]) AS u(id, version)
             WHERE t.id = u.id AND (t.matched_version IS NULL OR t.matched_version < u.version)""",
        list(ids),
        list(versions),
    )
    return int(status.split()[-1])
