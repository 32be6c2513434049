"""The database ``bench_api.py`` loads: synthetic postings at the seed's scale, every candidate list computed by
``careerrank reindex``, every recruiter's list ranked, vacancies spread over employers.

How it is built, the fastest way that is still the product's own:
1. the deterministic synthetic postings (``careerrank.generate``) written straight into the item tables, as
   ``bench_scale`` loads them (the embedder's per-event path would take an hour for nothing the API reads);
2. ``reindex`` with the model-free ``hashing-256`` encoder: every vector and every candidate list (top-K by
   cosine in both directions, in ``match_lists``), and the swap logs every list in ``list_changes``;
3. the ranking of the scorer (``ListRanking.rank_changed``) in cosine mode (no scoring model is active) until
   ``list_changes`` is empty: the recruiter's top 10 of each list, exactly what the scorer worker writes. At the
   seed's scale this takes about 15 s on two cores (10,000 lists/s); ``--rank sql`` instead derives the same rows in one
   ``INSERT ... SELECT`` from ``match_lists`` (the first ten candidates by cosine, no flag, no reasons: what the
   ranking does without a model; the rows are identical), for when the ranking is too slow on a machine;
4. vacancies assigned round-robin (by id order) to ``employers`` employers, so that a recruiter's key sees a
   realistic share of them (the generator's own employers hold about five vacancies each).
A row in ``bench_api_world`` records what was built; ``--reuse`` skips the build when it matches.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg

from careerrank import (
    ActiveModel,
    Database,
    ListRanking,
    Session,
    Settings,
    apply_migrations,
    drop_database,
    embedding_text,
    ensure_database,
    generate,
    model_id,
    reindex,
    text_hash,
)
from schemas import Upsert, kind_of

MODEL = "hashing-256"


def _chunks(events: Iterable[tuple[Upsert, Any]], size: int) -> Iterator[tuple[str, list[Upsert]]]:
    """Runs of up to ``size`` events of one kind, in the generator's order."""
    run: list[Upsert] = []
    for event, _ in events:
        if run and (kind_of(run[-1]) != kind_of(event) or len(run) >= size):
            yield kind_of(run[0]), run
            run = []
        run.append(event)
    if run:
        yield kind_of(run[0]), run


async def built(dsn: str, wanted: dict[str, int]) -> dict[str, Any] | None:
    """What the build of the database took, if it holds a finished build of exactly ``wanted``."""
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        if await conn.fetchval("SELECT to_regclass('bench_api_world')") is None:
            return None
        try:
            row = await conn.fetchrow(
                "SELECT vacancies, resumes, employers, seed, stages, built_at FROM bench_api_world"
            )
        except asyncpg.UndefinedColumnError:
            return None  # built by an earlier version of this script
        pending = await conn.fetchval("SELECT count(*) FROM list_changes")
        if row is None or {k: row[k] for k in wanted} != wanted or pending:
            return None
        return {**json.loads(row["stages"]), "built_at": row["built_at"].isoformat(timespec="seconds")}
    finally:
        await conn.close()


async def build(settings: Settings, wanted: dict[str, int], rank: str, log: Any) -> dict[str, Any]:
    """Build the world from nothing (the database is dropped first); return what each stage took."""
    dsn = settings.postgres.dsn.get_secret_value()
    await drop_database(dsn)
    await ensure_database(dsn)
    apply_migrations(dsn)
    stages: dict[str, Any] = {}
    began = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        log(f"load {wanted['vacancies']} vacancies + {wanted['resumes']} resumes")
        generated = generate(wanted["vacancies"], wanted["resumes"], seed=wanted["seed"])
        for kind, chunk in _chunks(generated, 5000):
            hashes = [text_hash(embedding_text(e, settings.model.max_chars)[0]) for e in chunk]
            await Session(conn).items.upsert(kind, chunk, hashes)
        stages["load_s"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        log(f"reindex with {MODEL}")
        await reindex(settings, progress=False)
        stages["reindex_s"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        await conn.execute(
            """UPDATE vacancies v SET employer_id = 'employer-' || (s.n % $1)
                 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM vacancies) s WHERE s.id = v.id""",
            wanted["employers"],
        )
        stages["employers_s"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        lists = int(await conn.fetchval("SELECT count(*) FROM match_lists"))
        log(f"rank {lists} lists ({rank})")
        if rank == "sql":
            await rank_by_sql(conn, settings.scorer.shown_top)
        else:
            await rank_by_scorer(settings)
        seconds = time.perf_counter() - started
        stages["rank"] = {
            "how": rank,
            "lists": lists,
            "seconds": round(seconds, 1),
            "lists_per_s": round(lists / seconds),
        }

        await conn.execute("VACUUM ANALYZE")
        stages["total_s"] = round(time.perf_counter() - began, 1)
        await conn.execute(
            """CREATE TABLE bench_api_world AS
               SELECT $1::int AS vacancies, $2::int AS resumes, $3::int AS employers, $4::int AS seed,
                      $5::jsonb AS stages, now() AS built_at""",
            wanted["vacancies"], wanted["resumes"], wanted["employers"], wanted["seed"], json.dumps(stages),
        )  # fmt: skip
    finally:
        await conn.close()
    return stages


async def rank_by_scorer(settings: Settings) -> None:
    """The scorer's ranking, round after round, until every logged list change is handled."""
    database = await Database.connect(settings.postgres)
    try:
        with ThreadPoolExecutor(1) as executor:
            active = ActiveModel(executor, model_id(settings.model.name))
            ranking = ListRanking(database, active, settings.scorer.shown_top)
            while await ranking.rank_changed(settings.scorer.rank_batch):
                pass
    finally:
        await database.close()


async def rank_by_sql(conn: asyncpg.Connection, top: int) -> None:
    """What the ranking writes without a scoring model, for every list at once: the first ``top`` candidates
    by cosine as scores and cosines, no suitable flag, no reasons, under the version ``cosine``."""
    async with conn.transaction():
        await conn.execute(
            """INSERT INTO ranked_lists AS r (direction, source_id, target_ids, scores, cosines, suitable,
                                              explanations, model_version, candidates_at)
               SELECT direction, source_id, target_ids[1:$1], scores[1:$1], scores[1:$1], NULL,
                      (SELECT jsonb_agg('[]'::jsonb) FROM generate_series(1, least(cardinality(target_ids), $1))),
                      'cosine', computed_at
                 FROM match_lists
               ON CONFLICT (direction, source_id) DO UPDATE SET
                   target_ids = EXCLUDED.target_ids, scores = EXCLUDED.scores, cosines = EXCLUDED.cosines,
                   suitable = NULL, explanations = EXCLUDED.explanations, model_version = 'cosine',
                   candidates_at = EXCLUDED.candidates_at, ranked_at = now()""",
            top,
        )
        await conn.execute(
            "DELETE FROM ranked_lists r WHERE NOT EXISTS (SELECT 1 FROM match_lists m"
            " WHERE m.direction = r.direction AND m.source_id = r.source_id)"
        )
        await conn.execute("DELETE FROM list_changes")


def bench_settings(dsn: str, prefix: str) -> Settings:
    return Settings.model_validate(
        {"postgres": {"dsn": dsn}, "amqp": {"prefix": prefix}, "model": {"name": MODEL}, "log_level": "WARNING"}
    )
