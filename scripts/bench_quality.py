#!/usr/bin/env python3
"""Match-quality benchmark: the seed's table on both labelled sets, in one run; prints JSON.

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

from careerrank import logs, quality


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", default=["all-MiniLM-L6-v2", "use-multilingual"])
    ap.add_argument("--vacancies", type=int, default=1000)
    ap.add_argument("--resumes", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path("results/quality"))
    args = ap.parse_args()
    logs.configure("WARNING")
    report = {}
    for name, data in (
        ("synthetic", quality.synthetic(args.vacancies, args.resumes)),
        ("superjob", quality.superjob()),
    ):
        rows = quality.evaluate(data, quality.standard_setups(args.models))
        quality.write(
            args.out,
            name,
            data.name,
            rows,
            {"models": args.models, "default_minus_seed": quality.gains_over_seed(rows)},
        )
        report[name] = {
            "title": data.name,
            "rows": [asdict(r) for r in rows],
            "default_minus_seed": quality.gains_over_seed(rows),
        }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
