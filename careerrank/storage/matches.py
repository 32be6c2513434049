"""Data access for the precomputed top-K lists (both directions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from schemas import Kind

DIRECTIONS: dict[Kind, str] = {"vacancy": "vacancy_to_resume", "resume": "resume_to_vacancy"}

Ranked = list[tuple[str, float]]  # (target_id, score), best first


@dataclass(frozen=True, slots=True)
class MatchRow:
    rank: int
    target_id: str
    score: float
    model_version: str
    computed_at: datetime
    title: str | None


async def lists_containing(conn: asyncpg.Connection, source_kind: Kind, target_ids: Sequence[str]) -> set[str]:
    """Sources (of ``source_kind``) whose list holds any of ``target_ids``."""
    rows = await conn.fetch(
        "SELECT DISTINCT source_id FROM matches WHERE direction = $1 AND target_id = ANY($2::text[])",
        DIRECTIONS[source_kind],
        target_ids,
    )
    return {r["source_id"] for r in rows}


async def fetch_lists(conn: asyncpg.Connection, source_kind: Kind, source_ids: Sequence[str]) -> dict[str, Ranked]:
    rows = await conn.fetch(
        """SELECT source_id, target_id, score FROM matches
            WHERE direction = $1 AND source_id = ANY($2::text[]) ORDER BY source_id, rank""",
        DIRECTIONS[source_kind],
        source_ids,
    )
    lists: dict[str, Ranked] = {}
    for r in rows:
        lists.setdefault(r["source_id"], []).append((r["target_id"], float(r["score"])))
    return lists


async def replace_lists(
    conn: asyncpg.Connection, source_kind: Kind, lists: Mapping[str, Ranked], model_version: str
) -> int:
    """Replace whole lists of the given sources (an empty list deletes); return rows written. Use in a transaction."""
    if not lists:
        return 0
    direction = DIRECTIONS[source_kind]
    await conn.execute(
        "DELETE FROM matches WHERE direction = $1 AND source_id = ANY($2::text[])", direction, list(lists)
    )
    records = [
        (direction, source, rank, target, score, model_version)
        for source, ranked in lists.items()
        for rank, (target, score) in enumerate(ranked, start=1)
    ]
    if records:
        await conn.copy_records_to_table(
            "matches",
            records=records,
            columns=["direction", "source_id", "rank", "target_id", "score", "model_version"],
        )
    return len(records)


async def list_floors(conn: asyncpg.Connection, source_kind: Kind, k: int) -> dict[str, float]:
    """Score of the last entry of every full list; a candidate must beat it to enter."""
    rows = await conn.fetch(
        """SELECT source_id, min(score) AS floor FROM matches WHERE direction = $1
            GROUP BY source_id HAVING count(*) >= $2""",
        DIRECTIONS[source_kind],
        k,
    )
    return {r["source_id"]: float(r["floor"]) for r in rows}


async def generation(conn: asyncpg.Connection) -> int:
    """The matcher generation: bumped by every transaction that writes lists."""
    return int(await conn.fetchval("SELECT generation FROM matcher_state"))


async def bump_generation(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("UPDATE matcher_state SET generation = generation + 1 RETURNING generation"))


async def read_list(conn: asyncpg.Connection, source_kind: Kind, source_id: str) -> list[MatchRow]:
    """A source's list with the targets' titles, for recruiters and the CLI."""
    target_table = "resumes" if source_kind == "vacancy" else "vacancies"
    rows = await conn.fetch(
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


# The lists a reindex builds beside the live ones, and the names its indexes take once swapped in.
NEXT_TABLE = "matches_next"
_INDEXES = {
    "matches_pkey": "PRIMARY KEY (direction, source_id, rank)",
    "matches_direction_source_id_target_id_key": "UNIQUE (direction, source_id, target_id)",
}
_BY_TARGET = "matches_by_target"


async def create_next(conn: asyncpg.Connection) -> None:
    """An empty ``matches_next`` shaped like ``matches``, without indexes (they are built after the load)."""
    await conn.execute(f"DROP TABLE IF EXISTS {NEXT_TABLE}")
    await conn.execute(f"CREATE TABLE {NEXT_TABLE} (LIKE matches INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")


async def copy_into_next(
    conn: asyncpg.Connection, source_kind: Kind, records: Sequence[tuple[str, int, str, float]], model_version: str
) -> int:
    """Append ``(source_id, rank, target_id, score)`` rows of one direction to ``matches_next``."""
    direction = DIRECTIONS[source_kind]
    await conn.copy_records_to_table(
        NEXT_TABLE,
        records=[(direction, s, rank, t, score, model_version) for s, rank, t, score in records],
        columns=["direction", "source_id", "rank", "target_id", "score", "model_version"],
    )
    return len(records)


async def index_next(conn: asyncpg.Connection) -> None:
    """Build ``matches_next``'s constraints and indexes in bulk (much faster than maintaining them per row)."""
    for name, definition in _INDEXES.items():
        await conn.execute(f"ALTER TABLE {NEXT_TABLE} ADD CONSTRAINT {name}_next {definition}")
    await conn.execute(f"CREATE INDEX {_BY_TARGET}_next ON {NEXT_TABLE} (direction, target_id)")
    await conn.execute(f"ANALYZE {NEXT_TABLE}")


async def swap_in_next(conn: asyncpg.Connection) -> None:
    """Replace ``matches`` with ``matches_next`` in the caller's transaction; readers see one or the other.

    The old table is kept as ``matches_replaced`` until :func:`drop_replaced` (after the commit), so the swap
    itself only renames.
    """
    await conn.execute("LOCK TABLE matches IN ACCESS EXCLUSIVE MODE")
    await conn.execute("DROP TABLE IF EXISTS matches_replaced")
    await conn.execute("ALTER TABLE matches RENAME TO matches_replaced")
    for name in (*_INDEXES, _BY_TARGET):
        await conn.execute(f"ALTER INDEX {name} RENAME TO {name}_replaced")
    await conn.execute(f"ALTER TABLE {NEXT_TABLE} RENAME TO matches")
    for name in (*_INDEXES, _BY_TARGET):
        await conn.execute(f"ALTER INDEX {name}_next RENAME TO {name}")


async def drop_replaced(conn: asyncpg.Connection) -> None:
    await conn.execute("DROP TABLE IF EXISTS matches_replaced")


async def drop_next(conn: asyncpg.Connection) -> None:
    await conn.execute(f"DROP TABLE IF EXISTS {NEXT_TABLE}")
