"""The ``careerrank`` command: migrate, publish, read matches, reindex, evaluate, handle dead letters, and run
the deployables (the embedder and the matcher, wired in by ``workers``). ``careerrank --help`` lists all."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from careerrank.errors import CareerRankError
from careerrank.observability import logs
from careerrank.settings import Settings
from schemas import Kind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Deployable:
    """A long-running process the command can start: ``run`` returns when it has stopped cleanly."""

    name: str
    help: str
    run: Callable[[Settings], Coroutine[Any, Any, None]]


def build_parser(deployables: Sequence[Deployable] = ()) -> argparse.ArgumentParser:
    """The command line: the operator commands, and a subcommand to run each of ``deployables``."""
    p = argparse.ArgumentParser(prog="careerrank", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    # A deployable named like an operator group ("scorer") runs as that group's ``run`` action.
    grouped = {d.name: d for d in deployables if d.name in _GROUPS}
    for deployable in deployables:
        if deployable.name not in grouped:
            sub.add_parser(deployable.name, help=deployable.help)

    sub.add_parser(
        "demo", help="the main job: start local services, migrate, run both workers, publish the SuperJob sample"
    )
    sub.add_parser("migrate", help="create the database if needed and apply migrations (starts no server)")
    sub.add_parser("schema", help="print the JSON Schema of events (for producers)")

    pub = sub.add_parser("publish", help="stream a file of events into RabbitMQ with a progress bar")
    pub.add_argument("paths", nargs="+", type=Path, help="JSONL of events, SuperJob CSV, or HeadHunter CSV")
    pub.add_argument("--kind", choices=["vacancy", "resume"], help="for CSV files whose kind is not detected")
    pub.add_argument("--limit", type=int, default=None, help="publish at most this many events per file")
    pub.add_argument("--skip-invalid", action="store_true", help="skip (and count) rows that are not valid events")
    pub.add_argument("--per-message", type=int, default=1, help="events per message (a JSON array when > 1)")

    gen = sub.add_parser("generate", help="write a deterministic synthetic dataset (events + labels JSONL)")
    gen.add_argument("--vacancies", type=int, default=1000)
    gen.add_argument("--resumes", type=int, default=450)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--english-share", type=float, default=0.2)
    gen.add_argument("--out", type=Path, required=True)

    sim = sub.add_parser(
        "simulate",
        help="synthetic postings with applications and simulated recruiters' feedback (to try the scorer)",
    )
    sim.add_argument("--vacancies", type=int, default=1000)
    sim.add_argument("--resumes", type=int, default=800)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--candidates", type=int, default=25, help="candidates each vacancy's recruiter decides on")
    sim.add_argument("--out", type=Path, required=True)

    rx = sub.add_parser(
        "reindex",
        help="re-embed every open item with a model and recompute every list in bulk, then swap them in atomically",
    )
    rx.add_argument("--model", default=None, help="the model to switch to (default: the configured one)")
    rx.add_argument("--force", action="store_true", help="re-encode every text, not only missing or changed ones")
    rx.add_argument("--quiet", action="store_true", help="no progress bars")

    top = sub.add_parser("matches", help="print the top-10 of a vacancy or resume from PostgreSQL")
    which = top.add_mutually_exclusive_group(required=True)
    which.add_argument("--vacancy", metavar="ID")
    which.add_argument("--resume", metavar="ID")
    top.add_argument("--json", action="store_true")

    ev = sub.add_parser("eval", help="match quality of retrieval setups on a labelled set (the prototype's table)")
    ev.add_argument("--dataset", choices=["synthetic", "superjob"], default="synthetic")
    ev.add_argument(
        "--models",
        nargs="*",
        default=["all-MiniLM-L6-v2", "use-multilingual"],
        help="encoder names or local model paths",
    )
    ev.add_argument("--vacancies", type=int, default=1000, help="synthetic set size")
    ev.add_argument("--resumes", type=int, default=1000, help="synthetic set size")
    ev.add_argument("--out", type=Path, default=Path("results/quality"))

    sc = sub.add_parser("scorer", help="train a scoring model on recruiter feedback, list the registry, activate one")
    # ``careerrank scorer`` alone runs the worker, as ``careerrank embedder`` does.
    sc_sub = sc.add_subparsers(dest="scorer_action", required="scorer" not in grouped)
    if "scorer" in grouped:
        sc_sub.add_parser("run", help=grouped["scorer"].help)
    tr = sc_sub.add_parser("train", help="train on the decided pairs in PostgreSQL and register a candidate")
    tr.add_argument("--version", default=None, help="the model's name (default: gbm-<UTC time>)")
    tr.add_argument("--recall", type=float, default=0.9, help="recall of invited pairs the threshold keeps")
    tr.add_argument("--no-outlier-filter", action="store_true", help="train on every decision (for comparison)")
    tr.add_argument("--activate", action="store_true", help="make it the model that serves")
    act = sc_sub.add_parser("activate", help="make a registered model the one that serves")
    act.add_argument("version")
    sc_sub.add_parser("list", help="the registered models, their state and held-out metrics")
    cmp = sc_sub.add_parser("compare", help="the serving model against a challenger on recorded decisions")
    cmp.add_argument("--champion", default=None, help="default: the active model")
    cmp.add_argument("--challenger", default=None, help="default: the shadow model, else the newest candidate")
    cmp.add_argument("--since", type=datetime.fromisoformat, default=None, help="decisions recorded since (ISO)")
    cmp.add_argument("--out", type=Path, default=None, help="also write comparison.json, .md and roc.png here")
    cmp.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of vacancies")
    bias = sc_sub.add_parser("bias-report", help="the four-fifths audit of the shown rows by gender and age band")
    bias.add_argument(
        "--demographics",
        type=Path,
        default=Path("datasets/superjob/resumes.csv"),
        help="CSV with row, age and gender per resume (kept apart from the events)",
    )
    bias.add_argument("--out", type=Path, default=None, help="also write bias-report.json and .md here")

    keys = sub.add_parser("keys", help="API keys: create one (printed once), list them, revoke one")
    keys_sub = keys.add_subparsers(dest="keys_action", required=True)
    kc = keys_sub.add_parser("create", help="make a key and print it (only its hash is stored)")
    kc.add_argument("--role", choices=["admin", "job_board", "recruiter"], required=True)
    kc.add_argument("--employer", default=None, help="a recruiter's employer id (recruiters only)")
    kc.add_argument("--name", default="", help="whose key it is")
    keys_sub.add_parser("list", help="every key, revoked ones included (never the keys themselves)")
    kr = keys_sub.add_parser("revoke", help="revoke a key by its id; its web sessions end")
    kr.add_argument("id")

    dl = sub.add_parser("dead-letters", help="list, show or replay dead letters")
    dl.add_argument("action", choices=["list", "show", "replay"])
    dl.add_argument("ids", nargs="*", type=int)
    dl.add_argument("--all", action="store_true", help="list: include replayed ones; replay: every pending one")
    return p


def main(argv: Sequence[str] | None = None, deployables: Sequence[Deployable] = ()) -> int:
    """Run one command; an error of the product's tree is logged with its reason and exits 1."""
    args = build_parser(deployables).parse_args(argv)
    settings = Settings()
    logs.configure(settings.log_level)
    command: str = args.command
    try:
        for deployable in deployables:
            if command == deployable.name and getattr(args, f"{command}_action", None) in (None, "run"):
                asyncio.run(deployable.run(settings))
                return 0
        return asyncio.run(_command(command, args, settings)) if command in _ASYNC else _sync_command(command, args)
    except CareerRankError as exc:
        # Our own messages name services, models and rules, never a posting's values: safe to log.
        log.error(f"careerrank {command} failed", extra={"error": type(exc).__name__, "reason": str(exc)})
        return 1


_GROUPS = {"scorer"}
_ASYNC = {"migrate", "publish", "reindex", "matches", "dead-letters", "demo", "scorer", "keys"}


def _sync_command(command: str, args: argparse.Namespace) -> int:
    if command == "schema":
        from schemas import json_schema

        print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
        return 0
    if command == "generate":
        from careerrank.synthetic import write_dataset

        events, labels = write_dataset(args.out, args.vacancies, args.resumes, args.seed, args.english_share)
        print(json.dumps({"events": str(events), "labels": str(labels)}))
        return 0
    if command == "simulate":
        from careerrank.synthetic import simulate

        simulation = simulate(args.seed, args.vacancies, args.resumes, candidates_per_vacancy=args.candidates)
        postings, scoring, truth = simulation.write(args.out)
        counts = {"postings": len(simulation.postings), "scoring_events": len(simulation.scoring_events)}
        paths = {"postings": str(postings), "scoring": str(scoring), "truth": str(truth)}
        print(json.dumps({"files": paths, "counts": counts}))
        return 0
    if command == "eval":
        from careerrank import evaluation

        synthetic = args.dataset == "synthetic"
        data = evaluation.synthetic(args.vacancies, args.resumes) if synthetic else evaluation.superjob()
        rows = evaluation.evaluate(data, evaluation.standard_setups(args.models))
        md, js = evaluation.write(args.out, args.dataset, data.name, rows, {"models": args.models})
        print(evaluation.markdown(data.name, rows))
        print(json.dumps({"markdown": str(md), "json": str(js)}))
        return 0
    raise AssertionError(command)


async def _command(command: str, args: argparse.Namespace, settings: Settings) -> int:
    if command == "migrate":
        from careerrank.storage import migrate

        applied = await migrate(settings.postgres.dsn.get_secret_value())
        print(json.dumps({"migrations_applied": applied}))
        return 0
    if command == "publish":
        from careerrank.jobs.publish import publish_files

        summary = await publish_files(
            settings.amqp, args.paths, args.kind, args.limit, args.skip_invalid, args.per_message
        )
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    if command == "reindex":
        from careerrank.jobs.reindex import reindex

        result = await reindex(settings, args.model, force=args.force, progress=not args.quiet)
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    if command == "matches":
        from careerrank.cli.commands import print_matches

        kind: Kind = "vacancy" if args.vacancy else "resume"
        return await print_matches(settings, kind, args.vacancy or args.resume, as_json=args.json)
    if command == "keys":
        from careerrank.cli.key_commands import keys_command

        return await keys_command(
            settings, args.keys_action, getattr(args, "role", None), getattr(args, "employer", None),
            getattr(args, "name", ""), getattr(args, "id", None),
        )  # fmt: skip
    if command == "dead-letters":
        from careerrank.cli.commands import dead_letters_command

        return await dead_letters_command(settings, args.action, args.ids, args.all)
    if command == "scorer":
        from careerrank.cli import scorer_commands as sc
        from careerrank.jobs.scoring_models import activate_scoring_model, train_scoring_model

        if args.scorer_action == "train":
            outcome: Any = await train_scoring_model(
                settings, args.version, args.recall, not args.no_outlier_filter, args.activate
            )
        elif args.scorer_action == "activate":
            outcome = await activate_scoring_model(settings, args.version)
        elif args.scorer_action == "bias-report":
            from careerrank.jobs.bias_report import bias_report

            outcome = await bias_report(settings, args.demographics, args.out)
        elif args.scorer_action == "compare":
            from careerrank.jobs.model_comparison import compare_models

            outcome = await compare_models(
                settings, args.champion, args.challenger, args.since, args.out, args.resamples
            )
        else:
            outcome = await sc.list_command(settings)
        print(sc.dumps(outcome))
        return 0
    if command == "demo":
        from careerrank.devtools.demo import run_demo

        return await run_demo(settings)
    raise AssertionError(command)
