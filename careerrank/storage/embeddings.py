"""Data access for the stored vectors: one per item and model, float32 little-endian, L2-normalised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import asyncpg
import numpy as np

from careerrank.storage.items import TABLES
from careerrank.vectors import Vectors, from_bytes
from schemas import Kind


@dataclass(frozen=True, slots=True)
class StoredEmbedding:
    item_id: str
    version: datetime
    vector: Vectors


class OpenVectors(NamedTuple):
    """The vectors of every open item of one kind: row ``i`` of ``matrix`` belongs to ``ids[i]``."""

    ids: list[str]
    versions: list[datetime]
    matrix: Vectors


class Embeddings:
    """Queries on ``embeddings`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def copy(self, kind: Kind, model: str, items: Sequence[tuple[str, datetime, bytes]], matrix: Vectors) -> None:
        """Store vectors: COPY into a temporary table, then one upsert. Use in a transaction.

        ``items`` are ``(item_id, version, text_hash)`` for the rows of ``matrix``. A vector never replaces a
        newer one (out-of-order events, or an embedder that moved the item on while a reindex ran).
        """
        if not items:
            return
        dim = int(matrix.shape[1])
        data = np.ascontiguousarray(matrix, dtype="<f4")
        await self._conn.execute(
            """CREATE TEMPORARY TABLE IF NOT EXISTS embeddings_incoming
                   (item_id text, version timestamptz, text_hash bytea, vector bytea) ON COMMIT DELETE ROWS"""
        )
        await self._conn.copy_records_to_table(
            "embeddings_incoming",
            records=[(i, v, h, data[row].tobytes()) for row, (i, v, h) in enumerate(items)],
            columns=["item_id", "version", "text_hash", "vector"],
        )
        await self._conn.execute(
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
        await self._conn.execute("TRUNCATE embeddings_incoming")

    async def bump_versions(self, kind: Kind, model: str, rows: Sequence[tuple[str, datetime]]) -> None:
        """An update that kept the text keeps its vector; only the version moves."""
        await self._conn.execute(
            """UPDATE embeddings e SET version = u.version
                 FROM unnest($3::text[], $4::timestamptz[]) AS u(id, version)
                WHERE e.kind = $1 AND e.model = $2 AND e.item_id = u.id AND e.version < u.version""",
            kind,
            model,
            [r[0] for r in rows],
            [r[1] for r in rows],
        )

    async def drop_older(self, kind: Kind, ids: Sequence[str], versions: Sequence[datetime]) -> None:
        """Drop the vectors (of every model) of items closed at these versions, unless a newer one is stored."""
        await self._conn.execute(
            """DELETE FROM embeddings e USING unnest($2::text[], $3::timestamptz[]) AS c(id, version)
                WHERE e.kind = $1 AND e.item_id = c.id AND e.version < c.version""",
            kind,
            list(ids),
            list(versions),
        )

    async def fetch(self, kind: Kind, model: str, ids: Sequence[str]) -> dict[str, StoredEmbedding]:
        rows = await self._conn.fetch(
            """SELECT item_id, version, vector FROM embeddings
                WHERE kind = $1 AND model = $2 AND item_id = ANY($3::text[])""",
            kind,
            model,
            list(ids),
        )
        return {r["item_id"]: StoredEmbedding(r["item_id"], r["version"], from_bytes(r["vector"])) for r in rows}

    async def load_open(self, kind: Kind, model: str, matched_only: bool = False) -> OpenVectors:
        """Every open item's vector (``matched_only``: of those matched at some version), ordered by id."""
        ids: list[str] = []
        versions: list[datetime] = []
        chunks: list[bytes] = []
        dim = 0
        async with self._conn.transaction():
            cursor = self._conn.cursor(
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
        matrix = from_bytes(b"".join(chunks)).reshape(len(ids), dim) if ids else np.zeros((0, 0), np.float32)
        return OpenVectors(ids, versions, matrix)
