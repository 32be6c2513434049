"""Data access for the recruiters' lists ranked by the scoring model, and the outbox of lists to rank again."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from schemas import Direction


@dataclass(frozen=True, slots=True)
class CandidateList:
    """A source's candidates as the matcher keeps them: the top-K by cosine, best first."""

    direction: Direction
    source_id: str
    target_ids: list[str]
    cosines: list[float]
    computed_at: datetime
    # The ranking stored for it now, if any: (model version, target ids, scores).
    ranked: tuple[str, list[str], list[float]] | None = None


@dataclass(frozen=True, slots=True)
class RankedList:
    direction: Direction
    source_id: str
    target_ids: list[str]
    scores: list[float]
    cosines: list[float]
    suitable: list[bool] | None
    explanations: list[list[dict[str, Any]]]
    model_version: str
    candidates_at: datetime

    def flags(self) -> list[bool | None]:
        """Each row's suitable flag; None for every row while no model is active."""
        return list(self.suitable) if self.suitable is not None else [None] * len(self.target_ids)


class RankedLists:
    """Queries on ``ranked_lists``, ``list_changes`` and ``ranking_state`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def take_changes(self, limit: int) -> tuple[list[int], list[tuple[Direction, str]]]:
        """The oldest logged list changes, with every other change logged for the same lists by then (the round
        ranks their candidates as they are after all of them: a list changed many times in a backlog is ranked
        once), locked and skipped by another ranker, deduplicated: ``(ids, lists)``. Use in the transaction that
        reads the candidates after this, writes their rankings and then :meth:`forget_changes`."""
        rows = await self._conn.fetch(
            """WITH oldest AS (
                   SELECT id, direction, source_id FROM list_changes ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
               )
               SELECT c.id, c.direction, c.source_id FROM list_changes c
                WHERE (c.direction, c.source_id) IN (SELECT direction, source_id FROM oldest)
                ORDER BY c.id
                  FOR UPDATE OF c SKIP LOCKED""",
            limit,
        )
        lists = list(dict.fromkeys((r["direction"], r["source_id"]) for r in rows))
        return [r["id"] for r in rows], lists

    async def forget_changes(self, ids: Sequence[int]) -> None:
        await self._conn.execute("DELETE FROM list_changes WHERE id = ANY($1::bigint[])", list(ids))

    async def pending_changes(self) -> int:
        return int(await self._conn.fetchval("SELECT count(*) FROM list_changes"))

    async def candidates(self, lists: Sequence[tuple[Direction, str]]) -> list[CandidateList]:
        """The candidate lists of these sources (those that exist), each with its ranking as stored now."""
        rows = await self._conn.fetch(
            """SELECT m.direction, m.source_id, m.target_ids, m.scores, m.computed_at,
                      r.model_version AS ranked_model, r.target_ids AS ranked_ids, r.scores AS ranked_scores
                 FROM match_lists m
                 JOIN unnest($1::text[], $2::text[]) AS w(direction, source_id)
                   ON m.direction = w.direction AND m.source_id = w.source_id
                 LEFT JOIN ranked_lists r ON r.direction = m.direction AND r.source_id = m.source_id""",
            [d for d, _ in lists],
            [s for _, s in lists],
        )
        return [
            CandidateList(
                r["direction"],
                r["source_id"],
                list(r["target_ids"]),
                list(r["scores"]),
                r["computed_at"],
                (r["ranked_model"], list(r["ranked_ids"]), list(r["ranked_scores"])) if r["ranked_model"] else None,
            )
            for r in rows
        ]

    async def write(self, ranked: Sequence[RankedList]) -> None:
        """Replace these lists' rankings whole."""
        if not ranked:
            return
        await self._conn.executemany(
            """INSERT INTO ranked_lists AS r (direction, source_id, target_ids, scores, cosines, suitable,
                                              explanations, model_version, candidates_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
               ON CONFLICT (direction, source_id) DO UPDATE SET
                   target_ids = EXCLUDED.target_ids, scores = EXCLUDED.scores, cosines = EXCLUDED.cosines,
                   suitable = EXCLUDED.suitable, explanations = EXCLUDED.explanations,
                   model_version = EXCLUDED.model_version, candidates_at = EXCLUDED.candidates_at,
                   ranked_at = now()""",
            [
                (
                    r.direction,
                    r.source_id,
                    r.target_ids,
                    r.scores,
                    r.cosines,
                    r.suitable,
                    json.dumps(r.explanations, ensure_ascii=False),
                    r.model_version,
                    r.candidates_at,
                )
                for r in ranked
            ],
        )

    async def delete(self, lists: Sequence[tuple[Direction, str]]) -> None:
        """Drop the rankings of lists that no longer exist (their source closed)."""
        await self._conn.execute(
            """DELETE FROM ranked_lists r USING unnest($1::text[], $2::text[]) AS w(direction, source_id)
                WHERE r.direction = w.direction AND r.source_id = w.source_id""",
            [d for d, _ in lists],
            [s for _, s in lists],
        )

    async def read(self, direction: Direction, source_id: str) -> RankedList | None:
        r = await self._conn.fetchrow(
            """SELECT direction, source_id, target_ids, scores, cosines, suitable, explanations, model_version,
                      candidates_at FROM ranked_lists WHERE direction = $1 AND source_id = $2""",
            direction,
            source_id,
        )
        if r is None:
            return None
        return RankedList(
            r["direction"],
            r["source_id"],
            list(r["target_ids"]),
            list(r["scores"]),
            list(r["cosines"]),
            list(r["suitable"]) if r["suitable"] is not None else None,
            json.loads(r["explanations"]),
            r["model_version"],
            r["candidates_at"],
        )

    async def ranked_under(self) -> str:
        """The model the lists were last queued for ranking under."""
        return str(await self._conn.fetchval("SELECT model_version FROM ranking_state"))

    async def rank_all_under(self, model_version: str) -> int:
        """Queue every list for ranking under ``model_version`` (another model was activated). Use in a
        transaction; return how many lists were queued: none when another scorer queued them first (its update
        of the state row is waited for, then seen)."""
        switched = await self._conn.execute(
            "UPDATE ranking_state SET model_version = $1 WHERE model_version <> $1", model_version
        )
        if switched.split()[-1] == "0":
            return 0
        result = await self._conn.execute(
            "INSERT INTO list_changes (direction, source_id) SELECT direction, source_id FROM match_lists"
        )
        return int(result.split()[-1])
