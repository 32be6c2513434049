#!/usr/bin/env python3
"""Builds the judging pool for the SuperJob sample: 30 vacancies and 30 resumes drawn with a fixed seed,
each with the union of the top-10 candidates of every setup compared (pooled evaluation, as TREC does).

    .venv/bin/python scripts/pool_superjob.py --models default [MODEL ...]

Writes datasets/superjob_pool.jsonl (one line per query: direction, query id, candidate ids) and
datasets/judging/<direction>-<n>.md sheets showing the texts a judge reads. Pairs judged before are kept.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careerrank import configure_logging, evaluation, write_judging_sheet

OUT = Path(__file__).resolve().parents[1] / "datasets"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", default=["default"])
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--round", default="", help="sub-folder of judging/ for the sheets of new pairs")
    args = ap.parse_args()
    configure_logging("WARNING")
    data = evaluation.superjob(judgments=Path("/nonexistent"))
    rng = random.Random(args.seed)
    v_queries = rng.sample(range(len(data.vacancies)), args.queries)
    r_queries = rng.sample(range(len(data.resumes)), args.queries)
    pools: dict[tuple[str, int], set[int]] = {}
    cache = evaluation.EncodeCache()
    for setup in evaluation.standard_setups(args.models):
        scores = setup.run(data.vacancies, data.resumes, cache).scores
        for i, row in zip(v_queries, evaluation.top_k(scores[v_queries], 10), strict=True):
            pools.setdefault(("vacancy_to_resume", i), set()).update(int(j) for j in row)
        for i, row in zip(r_queries, evaluation.top_k(scores.T[r_queries], 10), strict=True):
            pools.setdefault(("resume_to_vacancy", i), set()).update(int(j) for j in row)
    judged = evaluation.superjob()  # the judgments made so far: only pairs nobody judged go on new sheets
    known = {
        (d, q): {
            c
            for c in (x.id for x in (judged.resumes if d == "vacancy_to_resume" else judged.vacancies))
            if (judged.v2r if d == "vacancy_to_resume" else judged.r2v)(q, c) is not None
        }
        for d, q in {(d, (data.vacancies if d == "vacancy_to_resume" else data.resumes)[i].id) for d, i in pools}
    }
    sheets = OUT / "judging" / args.round if args.round else OUT / "judging"
    sheets.mkdir(parents=True, exist_ok=True)
    lines = []
    new_pairs = 0
    for n, ((direction, i), cands) in enumerate(sorted(pools.items())):
        src, dst = (
            (data.vacancies, data.resumes) if direction == "vacancy_to_resume" else (data.resumes, data.vacancies)
        )
        query = src[i]
        ordered = sorted(cands, key=lambda j: dst[j].id)
        todo = [j for j in ordered if dst[j].id not in known.get((direction, query.id), set())]
        new_pairs += len(todo)
        lines.append(
            json.dumps({"direction": direction, "query": query.id, "candidates": [dst[j].id for j in ordered]})
        )
        if not todo:
            continue
        write_judging_sheet(sheets / f"{direction}-{n:02d}.md", direction, query, [dst[j] for j in todo])
    (OUT / "superjob_pool.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sizes = [len(c) for c in pools.values()]
    print(json.dumps({"queries": len(pools), "pairs": sum(sizes), "new_pairs": new_pairs, "max_pool": max(sizes)}))


if __name__ == "__main__":
    main()
