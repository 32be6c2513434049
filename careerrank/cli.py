"""The ``careerrank`` command: run workers, migrate, publish, inspect. ``careerrank --help`` lists all."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from careerrank import logs
from careerrank.settings import Settings
from schemas import Kind


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="careerrank", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("demo", help="the main job: migrate, run both workers, publish the SuperJob sample, report")
    sub.add_parser("migrate", help="create the database if needed and apply migrations")
    sub.add_parser("embedder", help="run the embedder worker until SIGTERM")
    sub.add_parser("matcher", help="run the matcher worker until SIGTERM")
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

    ev = sub.add_parser("eval", help="match quality of retrieval setups on a labelled set (the seed's table)")
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

    dl = sub.add_parser("dead-letters", help="list, show or replay dead letters")
    dl.add_argument("action", choices=["list", "show", "replay"])
    dl.add_argument("ids", nargs="*", type=int)
    dl.add_argument("--all", action="store_true", help="list: include replayed ones; replay: every pending one")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    logs.configure(settings.log_level)
    command: str = args.command
    if command == "schema":
        from schemas import json_schema

        print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
        return 0
    if command == "generate":
        from careerrank.synthetic import write_dataset

        events, labels = write_dataset(args.out, args.vacancies, args.resumes, args.seed, args.english_share)
        print(json.dumps({"events": str(events), "labels": str(labels)}))
        return 0
    if command in ("embedder", "matcher"):
        from workers import run

        asyncio.run(run(command, settings))
        return 0
    if command == "migrate":
        from careerrank.commands import migrate

        asyncio.run(migrate(settings))
        return 0
    if command == "publish":
        from careerrank.commands import publish_files

        summary = asyncio.run(
            publish_files(settings, args.paths, args.kind, args.limit, args.skip_invalid, args.per_message)
        )
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    if command == "reindex":
        from careerrank.reindex import reindex

        result = asyncio.run(reindex(settings, args.model, force=args.force, progress=not args.quiet))
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    if command == "matches":
        from careerrank.commands import print_matches

        kind: Kind = "vacancy" if args.vacancy else "resume"
        return asyncio.run(print_matches(settings, kind, args.vacancy or args.resume, as_json=args.json))
    if command == "dead-letters":
        from careerrank.commands import dead_letters_command

        return asyncio.run(dead_letters_command(settings, args.action, args.ids, args.all))
    if command == "eval":
        from careerrank import quality

        data = quality.synthetic(args.vacancies, args.resumes) if args.dataset == "synthetic" else quality.superjob()
        rows = quality.evaluate(data, quality.standard_setups(args.models))
        md, js = quality.write(args.out, args.dataset, data.name, rows, {"models": args.models})
        print(quality.markdown(data.name, rows))
        print(json.dumps({"markdown": str(md), "json": str(js)}))
        return 0
    if command == "demo":
        from careerrank.demo import run_demo

        return asyncio.run(run_demo(settings))
    raise AssertionError(command)


if __name__ == "__main__":
    sys.exit(main())
