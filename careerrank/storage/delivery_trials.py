"""Data access for delivery trials: messages tried alone, and how often the worker died during the try."""

from __future__ import annotations

import asyncpg


class DeliveryTrials:
    """Queries on ``delivery_trials`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def begin(self, queue: str, key: bytes) -> int:
        """Record that a try of ``key`` starts; return how many earlier tries never ended (the worker died)."""
        started = await self._conn.fetchval(
            """INSERT INTO delivery_trials (queue, message_key) VALUES ($1, $2)
               ON CONFLICT (queue, message_key)
               DO UPDATE SET started = delivery_trials.started + 1, last_started_at = now()
               RETURNING started""",
            queue,
            key,
        )
        return int(started) - 1

    async def end(self, queue: str, key: bytes) -> None:
        await self._conn.execute("DELETE FROM delivery_trials WHERE queue = $1 AND message_key = $2", queue, key)

    async def unfinished(self, queue: str) -> dict[bytes, int]:
        """``key -> tries started``, of the tries not ended."""
        rows = await self._conn.fetch("SELECT message_key, started FROM delivery_trials WHERE queue = $1", queue)
        return {bytes(r["message_key"]): int(r["started"]) for r in rows}
