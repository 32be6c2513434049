"""A full rescore at scale: every candidate list of a database ranked again by a newly activated scoring model.

Runs the scorer's own ranking (``ListRanking.rank_changed``, the rounds the scorer worker runs) in this process
over an existing database with candidate lists — by default the one ``scripts/bench_api.py`` builds at the
seed's scale (100,000 vacancies + 45,000 resumes, 100 candidates each, hashing-256 vectors). A model is trained
on simulated recruiters' feedback (as ``scripts/bench_scorer.py`` does), registered and activated, which queues
every list; the rounds then run until none is left. Prints JSON (and writes ``--out``): lists/s, and the
seconds of each stage summed over the rounds — read (the changed lists, their candidates, the postings and
vectors not cached yet), texts (lemmas and TF-IDF rows, once per posting), cosines, score (features and trees,
once per pair), explain (the reasons of the shown rows), write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from careerrank import (
    ActiveModel,
    Database,
    ListRanking,
    ModelSettings,
    Settings,
    build_encoder,
    parse_model_name,
    prepare_simulated_training,
    train_on_simulation,
)

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/careerrank_bench_api_100000_45000"


async def run(args: argparse.Namespace) -> dict[str, object]:
    settings = Settings()
    postgres = settings.postgres.model_copy(update={"dsn": SecretStr(args.dsn), "pool_max": 2})
    started = time.perf_counter()
    encoder = build_encoder(parse_model_name(args.model), ModelSettings(name=args.model))
    model, report = train_on_simulation(prepare_simulated_training(encoder, seed=args.seed))
    train_s = time.perf_counter() - started
    version = f"bench-rescore-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    model = replace(model, version=version)
    database = await Database.connect(postgres)
    try:
        async with database.transaction() as session:
            await session.scoring_models.register(
                version, feature_version=model.feature_version, trained_on=model.trained_on,
                threshold=model.threshold, metrics=report, artifact=model.to_bytes(),
            )  # fmt: skip
            await session.scoring_models.activate(version)
        async with database.session() as session:
            lists = int(await session.connection.fetchval("SELECT count(*) FROM match_lists"))
        started = time.perf_counter()
        # Each process is one scorer (one compute thread each, as deployed): they share the rounds through the
        # outbox's FOR UPDATE SKIP LOCKED, as scorer replicas do.
        with ProcessPoolExecutor(max(1, args.processes - 1), mp_context=multiprocessing.get_context("spawn")) as pool:
            loop = asyncio.get_running_loop()
            others = [
                loop.run_in_executor(pool, rank_in_process, args.dsn, args.model, args.round)
                for _ in range(args.processes - 1)
            ]
            mine = await rank_until_done(args.dsn, args.model, args.round, lists if args.progress else None)
            results = [mine, *await asyncio.gather(*others)]
        ranked = sum(r[0] for r in results)
        rounds = sum(r[1] for r in results)
        stages: defaultdict[str, float] = defaultdict(float)
        for _, _, process_stages in results:
            for stage, seconds in process_stages.items():
                stages[stage] += seconds
        seconds = time.perf_counter() - started
    finally:
        await database.close()
    return {
        "benchmark": "careerrank-full-rescore",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.dsn.rsplit("/", 1)[-1],
        "embedding_model": args.model,
        "scoring_model": {"version": version, "train_s": round(train_s, 1), "held_out": report.get("held_out")},
        "candidate_lists": lists,
        "lists_ranked": ranked,
        "rounds": rounds,
        "processes": args.processes,
        "seconds": round(seconds, 1),
        "lists_per_s": round(ranked / seconds, 1) if seconds else None,
        "stage_seconds_summed_over_processes": {
            k: round(v, 1) for k, v in sorted(stages.items(), key=lambda kv: -kv[1])
        },
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


async def rank_until_done(
    dsn: str, model: str, round_size: int, progress_of: int | None = None
) -> tuple[int, int, dict[str, float]]:
    """Ranking rounds until no list is left to rank: ``(lists ranked, rounds, seconds per stage)``."""
    postgres = Settings().postgres.model_copy(update={"dsn": SecretStr(dsn), "pool_max": 2})
    database = await Database.connect(postgres)
    try:
        ranking = ListRanking(database, ActiveModel(ThreadPoolExecutor(1), model))
        stages: defaultdict[str, float] = defaultdict(float)
        rounds = ranked = 0
        started = time.perf_counter()
        while done := await ranking.rank_changed(round_size):
            rounds += 1
            ranked += done
            for stage, seconds in ranking.last_round.items():
                stages[stage] += seconds
            if progress_of is not None:
                print(f"{ranked} lists here (of {progress_of}), {ranked / (time.perf_counter() - started):.0f}/s")
        return ranked, rounds, dict(stages)
    finally:
        await database.close()


def rank_in_process(dsn: str, model: str, round_size: int) -> tuple[int, int, dict[str, float]]:
    return asyncio.run(rank_until_done(dsn, model, round_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="a database with candidate lists (bench_api.py builds one)")
    parser.add_argument("--model", default="hashing-256", help="the embedding model of its vectors")
    parser.add_argument("--round", type=int, default=2000, help="lists per round (CAREERRANK_SCORER__RANK_BATCH)")
    parser.add_argument("--processes", type=int, default=1, help="scorers ranking side by side (replicas)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("results/scorer/full-rescore.json"))
    args = parser.parse_args()
    result = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
