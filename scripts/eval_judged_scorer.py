"""The learned scorer on the hand-judged SuperJob pairs: query-grouped cross-validation against the cosine alone,
and precision@10 of the cosine's top candidates re-ranked by the learned score. Prints JSON.

    .venv/bin/python scripts/eval_judged_scorer.py [--encoder use-multilingual] [--folds 5] [--candidates 100]
        [--out results/quality/superjob-learned.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from careerrank import configure_logging, evaluate_judged


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoder", default="use-multilingual", help="an encoder name, e.g. hashing-2048")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--candidates", type=int, default=100, help="cosine candidates re-ranked per query")
    p.add_argument("--seed", type=int, default=0, help="orders the queries before they are dealt to folds")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    args = p.parse_args()
    configure_logging("WARNING")
    result = evaluate_judged(args.encoder, args.folds, args.candidates, args.seed)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
