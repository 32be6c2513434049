"""Data access for the registry of trained scoring models and the scorer's processed-event log.

A model is registered as a ``candidate``; activating one makes it the only ``active`` model and retires the
one it replaces. ``shadow`` is a state the registry already admits, for models scored beside the active one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from careerrank.errors import ScoringModelError

ModelState = Literal["candidate", "active", "shadow", "retired"]
EventOutcome = Literal["applied", "stale"]


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    version: str
    state: ModelState
    feature_version: int
    trained_on: str
    threshold: float
    metrics: dict[str, Any]
    created_at: datetime
    activated_at: datetime | None


_SELECT = """SELECT version, state, feature_version, trained_on, threshold, metrics, created_at, activated_at
                FROM scoring_models"""


def _model(r: asyncpg.Record) -> RegisteredModel:
    return RegisteredModel(
        r["version"],
        r["state"],
        r["feature_version"],
        r["trained_on"],
        float(r["threshold"]),
        json.loads(r["metrics"]),
        r["created_at"],
        r["activated_at"],
    )


class ScoringModels:
    """Queries on ``scoring_models`` and ``scoring_events`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def register(
        self,
        version: str,
        *,
        feature_version: int,
        trained_on: str,
        threshold: float,
        metrics: dict[str, Any],
        artifact: bytes,
    ) -> None:
        """Add a trained model as a candidate."""
        try:
            await self._conn.execute(
                """INSERT INTO scoring_models (version, state, feature_version, trained_on, threshold, metrics,
                                               artifact)
                   VALUES ($1, 'candidate', $2, $3, $4, $5::jsonb, $6)""",
                version,
                feature_version,
                trained_on,
                threshold,
                json.dumps(metrics),
                artifact,
            )
        except asyncpg.UniqueViolationError as exc:
            raise ScoringModelError(f"a model {version} is registered already") from exc

    async def activate(self, version: str) -> str | None:
        """Make ``version`` the one that serves, retiring the previous one (returned). Use in a transaction."""
        await self._conn.execute("LOCK TABLE scoring_models IN SHARE ROW EXCLUSIVE MODE")
        if await self._conn.fetchval("SELECT 1 FROM scoring_models WHERE version = $1", version) is None:
            raise ScoringModelError(f"no model {version} in the registry")
        previous = await self._conn.fetchval(
            "UPDATE scoring_models SET state = 'retired' WHERE state = 'active' AND version <> $1 RETURNING version",
            version,
        )
        await self._conn.execute(
            """UPDATE scoring_models SET state = 'active', activated_at = coalesce(activated_at, now())
                WHERE version = $1 AND state <> 'active'""",
            version,
        )
        return str(previous) if previous is not None else None

    async def active(self) -> RegisteredModel | None:
        row = await self._conn.fetchrow(_SELECT + " WHERE state = 'active'")
        return _model(row) if row is not None else None

    async def active_version(self) -> str | None:
        value = await self._conn.fetchval("SELECT version FROM scoring_models WHERE state = 'active'")
        return str(value) if value is not None else None

    async def artifact(self, version: str) -> bytes:
        data = await self._conn.fetchval("SELECT artifact FROM scoring_models WHERE version = $1", version)
        if data is None:
            raise ScoringModelError(f"no model {version} in the registry")
        return bytes(data)

    async def all(self) -> list[RegisteredModel]:
        rows = await self._conn.fetch(_SELECT + " ORDER BY created_at, version")
        return [_model(r) for r in rows]

    async def processed(self, event_ids: Sequence[str]) -> set[str]:
        """Which scoring events are committed already (redeliveries)."""
        rows = await self._conn.fetch(
            "SELECT event_id FROM scoring_events WHERE event_id = ANY($1::text[])", list(event_ids)
        )
        return {r["event_id"] for r in rows}

    async def record(self, records: Iterable[tuple[str, str, EventOutcome]]) -> None:
        """Log ``(event_id, type, outcome)`` of scoring events."""
        rows = list(records)
        await self._conn.execute(
            """INSERT INTO scoring_events (event_id, type, outcome)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (event_id) DO NOTHING""",
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
        )
