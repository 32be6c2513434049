"""Data access for the active model, the reindex pause and the reindex history.

The matcher holds the *list-writing* lock in shared mode for each batch it writes; a reindex holds it
exclusively from its snapshot to its swap, so no list is written between the two and the lists it swaps in
are exactly as current as the queued index updates assume (the matcher catches up on those afterwards).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime

import asyncpg

from careerrank.errors import ModelMismatch

# Advisory-lock key of the list writers ("CRLISTS" as digits, an arbitrary constant of this schema).
LIST_WRITERS_LOCK = 2_754_787_837


class ModelState:
    """Queries on ``active_model``, ``reindexes`` and the list-writers lock over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def active(self) -> str | None:
        """The model set by the last reindex, or None (then every worker follows its configuration)."""
        value = await self._conn.fetchval("SELECT model FROM active_model")
        return str(value) if value is not None else None

    async def check_active(self, model: str) -> None:
        """Raise :class:`~careerrank.errors.ModelMismatch` unless ``model`` may write vectors. Use in the write
        transaction.

        The row is share-locked until that transaction ends, so a reindex switching models waits for this
        write to commit and sees its vectors, and a write after the switch sees the new model.
        """
        active = await self._conn.fetchval("SELECT model FROM active_model FOR SHARE")
        if active is not None and active != model:
            raise ModelMismatch(str(active), model)

    async def switch_active(self, model: str) -> None:
        """Make ``model`` the active one. Use in the swap transaction, after :meth:`lock_for_switch`."""
        await self._conn.execute("UPDATE active_model SET model = $1, changed_at = now()", model)

    async def lock_for_switch(self) -> None:
        """Wait for vector writes in flight, then keep new ones out until this transaction ends."""
        await self._conn.execute("SELECT model FROM active_model FOR UPDATE")

    async def hold_list_writers(self) -> None:
        """Session lock: wait for the batch the matcher is writing, then keep the matcher from writing lists."""
        await self._conn.execute("SELECT pg_advisory_lock($1)", LIST_WRITERS_LOCK)

    async def release_list_writers(self) -> None:
        await self._conn.execute("SELECT pg_advisory_unlock($1)", LIST_WRITERS_LOCK)

    async def enter_list_writer(self) -> None:
        """The matcher's side: wait while a reindex holds the lists, then write (shared with other writers)."""
        await self._conn.execute("SELECT pg_advisory_lock_shared($1)", LIST_WRITERS_LOCK)

    async def leave_list_writer(self) -> None:
        """Release :meth:`enter_list_writer`. A broken connection has released it already (and the pool resets
        every connection it takes back with ``pg_advisory_unlock_all``), so that failure is not an error here."""
        if self._conn.is_closed():
            return
        with contextlib.suppress(OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
            await self._conn.execute("SELECT pg_advisory_unlock_shared($1)", LIST_WRITERS_LOCK)

    async def record_reindex(
        self, model: str, started_at: datetime, counts: dict[str, int], stages: dict[str, float]
    ) -> int:
        return int(
            await self._conn.fetchval(
                """INSERT INTO reindexes (model, started_at, vacancies, resumes, encoded, match_rows, stages)
                   VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id""",
                model,
                started_at,
                counts["vacancies"],
                counts["resumes"],
                counts["encoded"],
                counts["match_rows"],
                json.dumps(stages),
            )
        )
