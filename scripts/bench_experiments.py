#!/usr/bin/env python3
"""Experiments on simulated recruiters (careerrank.experiments.simulation): the A/B test's planned size, its power
there, its false alarms in A/A tests, and how many impressions team-draft interleaving needs for the same effect.
Prints JSON.

    .venv/bin/python scripts/bench_experiments.py [--effect 0.2] [--seeds 400] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careerrank import experiment_power


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--effect", type=float, default=0.2, help="the relative invite-rate effect of the better ranker")
    ap.add_argument("--seeds", type=int, default=400, help="simulated experiments per check")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    started = time.perf_counter()
    result = experiment_power(args.effect, args.seeds) | {"seconds": round(time.perf_counter() - started, 1)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
