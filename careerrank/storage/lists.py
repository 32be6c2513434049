"""Data access for the precomputed top-K lists of both directions, one row per list.

A reindex builds its lists beside the live ones (``match_lists_next``) and swaps them in by renames, with
the view ``matches`` (one row per rank) re-pointed at them. Table names are literal: nothing here is built
from input.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from careerrank.list_rows import ListRows
from careerrank.storage.copy_binary import list_rows_copy
from careerrank.storage.items import TABLES
from schemas import DIRECTIONS, Kind, Ranked, opposite


@dataclass(frozen=True, slots=True)
class MatchRow:
    rank: int
    target_id: str
    score: float
    model_version: str
    computed_at: datetime
    title: str | None


_VIEW = """CREATE OR REPLACE VIEW matches AS
SELECT l.direction, l.source_id, u.rank::smallint AS rank, u.target_id, u.score, l.model_version, l.computed_at
  FROM match_lists l
 CROSS JOIN LATERAL unnest(l.target_ids, l.scores) WITH ORDINALITY AS u(target_id, score, rank)"""


_EVERY_LIST = {
    False: "SELECT source_id, target_ids, scores FROM match_lists WHERE direction = $1",
    True: "SELECT source_id, target_ids, scores FROM list_reserves WHERE direction = $1",
}


class Lists:
    """Queries on ``match_lists`` (and the ``matcher_state`` generation) over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def replace(self, source_kind: Kind, lists: Mapping[str, Ranked], model_version: str) -> int:
        """Replace whole lists of the given sources (an empty list deletes); return entries written.

        One row per list: COPY (binary, see :mod:`~careerrank.storage.copy_binary`; given as
        :class:`~careerrank.list_rows.ListRows`, the lists go there without a Python object per entry) into a
        temporary table, then one upsert. Use in a transaction.
        """
        rows = ListRows.of(lists)
        direction = DIRECTIONS[source_kind]
        if rows.removed:
            await self._conn.execute(
                "DELETE FROM match_lists WHERE direction = $1 AND source_id = ANY($2::text[])",
                direction,
                list(rows.removed),
            )
            await self._conn.execute(
                "INSERT INTO list_changes (direction, source_id) SELECT $1, unnest($2::text[])",
                direction,
                list(rows.removed),
            )
        if not rows.sources:
            return 0
        await self._conn.execute(
            """CREATE TEMPORARY TABLE IF NOT EXISTS match_lists_incoming
                   (source_id text, target_ids text[], scores real[]) ON COMMIT DELETE ROWS"""
        )
        await self._copy("match_lists_incoming", rows)
        await self._conn.execute(
            """INSERT INTO match_lists AS m (direction, source_id, target_ids, scores, model_version)
               SELECT $1, source_id, target_ids, scores, $2 FROM match_lists_incoming
               ON CONFLICT (direction, source_id) DO UPDATE SET
                   target_ids = EXCLUDED.target_ids, scores = EXCLUDED.scores,
                   model_version = EXCLUDED.model_version, computed_at = now()""",
            direction,
            model_version,
        )
        # The outbox of the lists' readers (the scorer ranks these lists again), in the same transaction.
        await self._conn.execute(
            "INSERT INTO list_changes (direction, source_id) SELECT $1, source_id FROM match_lists_incoming",
            direction,
        )
        await self._conn.execute("TRUNCATE match_lists_incoming")
        return rows.entries

    async def _copy(self, table: str, rows: ListRows) -> None:
        await self._conn.copy_to_table(
            table,
            source=io.BytesIO(list_rows_copy(rows)),
            columns=["source_id", "target_ids", "scores"],
            format="binary",
        )

    async def all(self, source_kind: Kind, page: int = 50_000, *, with_reserve: bool = False) -> dict[str, Ranked]:
        """Every list of one direction (what the matcher holds in memory); ``with_reserve``: as the last
        reindex computed them, deeper than stored (valid while :meth:`reserves_current`).

        In pages along the key, one round trip each (fewer than a cursor's, which cost more at restart, where
        this reads every list), while memory holds one page of records at a time. Use in a repeatable-read
        transaction for one view.
        """
        out: dict[str, Ranked] = {}
        direction = DIRECTIONS[source_kind]
        query = _EVERY_LIST[with_reserve]
        rows = await self._conn.fetch(query + " ORDER BY source_id LIMIT $2", direction, page)
        while True:
            for r in rows:
                out[r["source_id"]] = list(zip(r["target_ids"], r["scores"], strict=True))
            if len(rows) < page:
                return out
            rows = await self._conn.fetch(
                query + " AND source_id > $3 ORDER BY source_id LIMIT $2", direction, page, rows[-1]["source_id"]
            )

    # --- the reserves a reindex leaves for the matcher's start -------------------------------------------

    async def reserves_current(self) -> bool:
        """Whether the reserves are those of the current lists (no list was written since the reindex)."""
        return bool(
            await self._conn.fetchval("SELECT coalesce(reserves_generation = generation, false) FROM matcher_state")
        )

    async def clear_reserves(self) -> None:
        """Out of date first (committed on its own), then emptied: no reader takes a half-written set."""
        await self._conn.execute("UPDATE matcher_state SET reserves_generation = NULL")
        await self._conn.execute("TRUNCATE list_reserves")

    async def copy_reserves(self, source_kind: Kind, lists: Mapping[str, Ranked]) -> None:
        """Append deep lists of one direction."""
        rows = ListRows.of(lists)
        if not rows.sources:
            return
        async with self._conn.transaction():
            await self._conn.execute(
                """CREATE TEMPORARY TABLE list_reserves_incoming
                       (source_id text, target_ids text[], scores real[]) ON COMMIT DROP"""
            )
            await self._copy("list_reserves_incoming", rows)
            await self._conn.execute(
                """INSERT INTO list_reserves (direction, source_id, target_ids, scores)
                   SELECT $1, source_id, target_ids, scores FROM list_reserves_incoming""",
                DIRECTIONS[source_kind],
            )

    async def mark_reserves_current(self) -> None:
        """In the transaction that moves the generation on with the lists the reserves belong to."""
        await self._conn.execute("UPDATE matcher_state SET reserves_generation = generation")

    async def generation(self) -> int:
        """The matcher generation: moved on by every transaction that writes lists."""
        return int(await self._conn.fetchval("SELECT generation FROM matcher_state"))

    async def bump_generation(self) -> int:
        return int(
            await self._conn.fetchval("UPDATE matcher_state SET generation = generation + 1 RETURNING generation")
        )

    async def read(self, source_kind: Kind, source_id: str) -> list[MatchRow]:
        """A source's list with the targets' titles, for recruiters and the CLI."""
        target_table = TABLES[opposite(source_kind)]
        rows = await self._conn.fetch(
            f"""SELECT m.rank, m.target_id, m.score, m.model_version, m.computed_at, t.title
                  FROM matches m LEFT JOIN {target_table} t ON t.id = m.target_id
                 WHERE m.direction = $1 AND m.source_id = $2 ORDER BY m.rank""",
            DIRECTIONS[source_kind],
            source_id,
        )
        return [
            MatchRow(r["rank"], r["target_id"], float(r["score"]), r["model_version"], r["computed_at"], r["title"])
            for r in rows
        ]

    async def count_entries(self) -> int:
        """List entries of both directions (rows of the ``matches`` view)."""
        return int(await self._conn.fetchval("SELECT coalesce(sum(cardinality(target_ids)), 0) FROM match_lists"))

    # --- the lists a reindex builds beside the live ones ---------------------------------------------

    async def create_next(self) -> None:
        """An empty ``match_lists_next`` shaped like ``match_lists``, without indexes (built after the load)."""
        await self._conn.execute("DROP TABLE IF EXISTS match_lists_next")
        await self._conn.execute(
            """CREATE TABLE match_lists_next (LIKE match_lists INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
                   WITH (fillfactor = 70)"""
        )

    async def copy_into_next(self, source_kind: Kind, lists: Sequence[tuple[str, Ranked]], model_version: str) -> int:
        """Append ``(source_id, list)`` pairs of one direction to ``match_lists_next``; return entries."""
        direction = DIRECTIONS[source_kind]
        records = [_record(source, ranked) for source, ranked in lists if ranked]
        await self._conn.copy_records_to_table(
            "match_lists_next",
            records=[(direction, s, targets, scores, model_version) for s, targets, scores in records],
            columns=["direction", "source_id", "target_ids", "scores", "model_version"],
        )
        return sum(len(targets) for _, targets, _ in records)

    async def index_next(self) -> None:
        """Build ``match_lists_next``'s key in bulk (much faster than maintaining it per row)."""
        await self._conn.execute(
            "ALTER TABLE match_lists_next ADD CONSTRAINT match_lists_pkey_next PRIMARY KEY (direction, source_id)"
        )
        await self._conn.execute("ANALYZE match_lists_next")

    async def swap_in_next(self) -> None:
        """Replace the lists with ``match_lists_next`` in the caller's transaction; readers see one or the other.

        The old table is kept as ``match_lists_replaced`` until :meth:`drop_replaced` (after the commit), so
        the swap itself only renames and re-points the view.
        """
        for statement in (
            "LOCK TABLE match_lists IN ACCESS EXCLUSIVE MODE",
            "DROP TABLE IF EXISTS match_lists_replaced",
            "ALTER TABLE match_lists RENAME TO match_lists_replaced",
            "ALTER INDEX match_lists_pkey RENAME TO match_lists_pkey_replaced",
            "ALTER TABLE match_lists_next RENAME TO match_lists",
            "ALTER INDEX match_lists_pkey_next RENAME TO match_lists_pkey",
            _VIEW,
            # Every list before and after is ranked again (one that went away loses its ranked list).
            """INSERT INTO list_changes (direction, source_id)
               SELECT direction, source_id FROM match_lists_replaced
               UNION SELECT direction, source_id FROM match_lists""",
        ):
            await self._conn.execute(statement)

    async def drop_replaced(self) -> None:
        await self._conn.execute("DROP TABLE IF EXISTS match_lists_replaced")

    async def drop_next(self) -> None:
        await self._conn.execute("DROP TABLE IF EXISTS match_lists_next")


def _record(source: str, ranked: Ranked) -> tuple[str, list[str], list[float]]:
    return source, [t for t, _ in ranked], [score for _, score in ranked]
