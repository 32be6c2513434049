"""Benchmark of the learned scorer, in process (no services): training, and scoring 100 candidates of one item.

Prints JSON. ``score_100_candidates``: features and the trees' scores of 100 candidates of one vacancy;
``warm``: the candidates' texts were lemmatised and vectorised when they arrived (what the scorer keeps per
posting version), ``cold``: nothing cached. ``explain_top_10``: exact SHAP values and their wording for the ten
rows a recruiter is shown (computed once per pair: the scorer keeps them).

    .venv/bin/python scripts/bench_scorer.py [--vacancies 1500 --resumes 1200 --model hashing-256]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np

from careerrank import (
    ModelSettings,
    PairScorer,
    build_encoder,
    parse_model_name,
    prepare_simulated_training,
    train_on_simulation,
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--vacancies", type=int, default=1500)
    p.add_argument("--resumes", type=int, default=1200)
    p.add_argument("--model", default="hashing-256")
    p.add_argument("--requests", type=int, default=200)
    args = p.parse_args()
    started = time.perf_counter()
    run = prepare_simulated_training(
        build_encoder(parse_model_name(args.model), ModelSettings()), 0, args.vacancies, args.resumes
    )
    prepared_s = time.perf_counter() - started
    started = time.perf_counter()
    model, metrics = train_on_simulation(run)
    trained_s = time.perf_counter() - started
    vacancies = [p for (kind, _), p in run.postings.items() if kind == "vacancy"]
    resumes = [p for (kind, _), p in run.postings.items() if kind == "resume"]
    rng = np.random.default_rng(0)

    def request(scorer: PairScorer) -> tuple[float, float]:
        """(ms to score 100 candidates, features included; ms to explain the top 10)"""
        vacancy = vacancies[int(rng.integers(len(vacancies)))]
        chosen = [resumes[i] for i in rng.choice(len(resumes), 100, replace=False)]
        cosine = np.array([run.vectors[("vacancy", vacancy.id)] @ run.vectors[("resume", r.id)] for r in chosen])
        t = time.perf_counter()
        scored = scorer.score([vacancy] * 100, chosen, cosine.astype(np.float32))
        scoring = time.perf_counter()
        top = np.argsort(-scored.scores)[:10]
        scorer.explain(scored.features[top], [vacancy] * 10, [chosen[i] for i in top])
        return (scoring - t) * 1000, (time.perf_counter() - scoring) * 1000

    cold = [request(PairScorer(model))[0] for _ in range(20)]
    warm_scorer = PairScorer(model)
    for posting in [*vacancies, *resumes]:
        warm_scorer.builder.prepared(posting)
    timed = [request(warm_scorer) for _ in range(args.requests)]
    warm, explained = [t[0] for t in timed], [t[1] for t in timed]

    def summary(ms: list[float]) -> dict[str, float]:
        ordered = sorted(ms)
        return {
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
            "mean_ms": round(statistics.fmean(ordered), 2),
        }

    print(
        json.dumps(
            {
                "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
                "data": {"vacancies": args.vacancies, "resumes": args.resumes, "decisions": len(run.pairs)},
                "embedding_model": args.model,
                "prepare_s": round(prepared_s, 2),
                "train_s": round(trained_s, 2),
                "held_out": metrics["held_out"],
                "cosine_alone": metrics["cosine_alone"],
                "without_filter": metrics["without_filter"],
                "threshold": metrics["threshold"],
                "score_100_candidates": {"warm": summary(warm), "cold": summary(cold), "bar_ms": 5.0},
                "explain_top_10": summary(explained),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
