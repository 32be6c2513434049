"""Data access for the processed-event log: every event id an embedder committed, and what became of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import asyncpg

from schemas import Kind

Outcome = Literal["applied", "stale", "superseded"]


class EventLog:
    """Queries on ``processed_events`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def processed(self, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` are committed already (a redelivery, or a commit retried after it went through)."""
        rows = await self._conn.fetch(
            "SELECT event_id FROM processed_events WHERE event_id = ANY($1::text[])", list(event_ids)
        )
        return {r["event_id"] for r in rows}

    async def record(self, records: Iterable[tuple[str, Kind, str, Outcome]]) -> None:
        """Log ``(event_id, kind, item_id, outcome)``; a redelivered event is then recognised."""
        rows = list(records)
        await self._conn.execute(
            """INSERT INTO processed_events (event_id, kind, item_id, outcome)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
               ON CONFLICT (event_id) DO NOTHING""",
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
        )
