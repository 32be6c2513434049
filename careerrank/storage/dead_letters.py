"""Data access for dead letters: messages that could not be processed, with their reason."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    queue: str
    reason: str
    body: bytes
    headers: dict[str, Any]
    created_at: datetime
    replayed_at: datetime | None


class DeadLetters:
    """Queries on ``dead_letters`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(self, queue: str, reason: str, body: bytes, headers: Mapping[str, Any]) -> int:
        return int(
            await self._conn.fetchval(
                "INSERT INTO dead_letters (queue, reason, body, headers) VALUES ($1, $2, $3, $4::jsonb) RETURNING id",
                queue,
                reason,
                body,
                json.dumps(storable_headers(headers)),
            )
        )

    async def pending(self, limit: int = 100, include_replayed: bool = False) -> list[DeadLetter]:
        rows = await self._conn.fetch(
            """SELECT id, queue, reason, body, headers, created_at, replayed_at FROM dead_letters
                WHERE $2 OR replayed_at IS NULL ORDER BY id LIMIT $1""",
            limit,
            include_replayed,
        )
        return [_letter(r) for r in rows]

    async def get(self, letter_id: int) -> DeadLetter | None:
        row = await self._conn.fetchrow(
            "SELECT id, queue, reason, body, headers, created_at, replayed_at FROM dead_letters WHERE id = $1",
            letter_id,
        )
        return _letter(row) if row else None

    async def mark_replayed(self, letter_id: int) -> None:
        await self._conn.execute("UPDATE dead_letters SET replayed_at = now() WHERE id = $1", letter_id)

    async def count(self) -> int:
        return int(await self._conn.fetchval("SELECT count(*) FROM dead_letters"))


def storable_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """Headers as a JSON object PostgreSQL's jsonb can hold, whatever a producer put in them.

    jsonb refuses NUL and lone surrogates in keys and strings, and NaN and infinities as numbers; a producer's
    header table may hold any of them, nested in tables and arrays, and bytes besides. Each is written as
    escaped text instead (the body, stored as bytes, keeps everything).
    """
    return {_storable_text(str(k)): _storable(v) for k, v in headers.items()}


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, bool | int | None):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return storable_headers(value)
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return _storable_text(bytes(value).decode("utf-8", "backslashreplace"))
    return _storable_text(str(value))  # timestamps, decimals


def _storable_text(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _letter(r: asyncpg.Record) -> DeadLetter:
    return DeadLetter(
        r["id"], r["queue"], r["reason"], bytes(r["body"]), json.loads(r["headers"]), r["created_at"], r["replayed_at"]
    )
