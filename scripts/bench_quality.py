#!/usr/bin/env python3
"""Match-quality benchmark: the prototype's table on both labelled sets, in one run; prints JSON.

    .venv/bin/python scripts/bench_quality.py [--models default use-multilingual] [--out results/quality]

Writes results/quality/{synthetic,superjob}.{md,json} and prints both tables' rows as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compute import machine

from careerrank import configure_logging, evaluation


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", default=["all-MiniLM-L6-v2", "use-multilingual"])
    ap.add_argument("--vacancies", type=int, default=1000)
    ap.add_argument("--resumes", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path("results/quality"))
    args = ap.parse_args()
    configure_logging("WARNING")
    report: dict[str, object] = {"machine": machine()}
    for name, data in (
        ("synthetic", evaluation.synthetic(args.vacancies, args.resumes)),
        ("superjob", evaluation.superjob()),
    ):
        rows = evaluation.evaluate(data, evaluation.standard_setups(args.models))
        gains = evaluation.gains_over_prototype(rows)
        meta = {"models": args.models, "default_minus_prototype": gains, "machine": report["machine"]}
        evaluation.write(args.out, name, data.name, rows, meta)
        report[name] = {"title": data.name, "rows": [asdict(r) for r in rows], "default_minus_prototype": gains}
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
