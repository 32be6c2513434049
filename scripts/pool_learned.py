#!/usr/bin/env python3
"""Extends the judged SuperJob pool by the learned lists (``datasets/JUDGING.md``): each judged query's learned
top 10, from the cross-validated models of ``scripts/eval_judged_scorer.py`` (with and without sampled
negatives), and writes a sheet of the pairs nobody judged yet for each query. Prints JSON.

    .venv/bin/python scripts/pool_learned.py --round round3 [--candidates 100 200]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careerrank import configure_logging, sheets_for_learned_lists

OUT = Path(__file__).resolve().parents[1] / "datasets"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--round", required=True, help="sub-folder of datasets/judging/ for the sheets")
    ap.add_argument("--candidates", type=int, nargs="+", default=[100])
    ap.add_argument("--encoder", default="use-multilingual")
    args = ap.parse_args()
    configure_logging("WARNING")
    print(json.dumps(sheets_for_learned_lists(OUT / "judging" / args.round, args.candidates, args.encoder)))


if __name__ == "__main__":
    main()
