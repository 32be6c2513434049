"""The learned scorer on the hand-judged SuperJob pairs (``datasets/judgments``), against the cosine alone.

- Every judged pair is a row (label: grade ≥ 1) of the scorer's pair features, the vacancy on the vacancy side.
  A group is a query (direction, id); each direction's queries are dealt to ``folds`` folds by a seeded hash, and
  a pair judged in both directions is kept out of the training rows of the fold that tests its mirror.
- xgboost with :data:`careerrank.scoring.training.PARAMS` at depth 4 (:data:`PARAMS_JUDGED`) and a fixed
  :data:`ROUNDS_JUDGED` rounds instead of early stopping (a fold trains on about two thousand rows and holds none
  back to stop on), both set before any result was seen. Out-of-fold scores give ROC-AUC and PR-AUC.
- Learned lists: each judged query's exact cosine top-``candidates`` among all postings of the other kind,
  re-ranked by the model of the fold that held that query out; precision@10 and nDCG@10 as the quality table
  (:mod:`careerrank.evaluation.report`) computes them (unjudged: not relevant), and on condensed lists.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from careerrank.encoding import embedding_text, load_encoder
from careerrank.evaluation.datasets import superjob
from careerrank.evaluation.metrics import DirectionScores, evaluate_direction, top_k
from careerrank.ingest import JUDGMENTS_DIR
from careerrank.ingest.judgments import read_grades
from careerrank.scoring.features import INDEX, NAMES
from careerrank.scoring.pair_scorer import FeatureBuilder
from careerrank.scoring.postings import Posting
from careerrank.scoring.texts import TextModel
from careerrank.scoring.training import PARAMS, _aucs
from careerrank.settings import ModelSettings

Group = tuple[str, str]  # (direction, query id)
DIRECTIONS = {"vacancy_to_resume": "cvs_for_vacancy", "resume_to_vacancy": "vacancies_for_cv"}
PARAMS_JUDGED: dict[str, Any] = {**PARAMS, "max_depth": 4}
ROUNDS_JUDGED = 150
MAX_CHARS = 2000  # the quality table's "careful text" setup and the pipeline's default


@dataclass(frozen=True, slots=True)
class JudgedPair:
    direction: str
    query: str
    candidate: str
    grade: int

    @property
    def group(self) -> Group:
        return (self.direction, self.query)

    @property
    def key(self) -> tuple[str, str]:
        """(vacancy id, resume id), whichever side was the query."""
        return (self.query, self.candidate) if self.direction == "vacancy_to_resume" else (self.candidate, self.query)


def read_judgments(path: Path = JUDGMENTS_DIR) -> list[JudgedPair]:
    """Every judged pair (a later line wins), sorted."""
    return [JudgedPair(d, q, c, g) for (d, q, c), g in sorted(read_grades(path).items())]


def query_folds(groups: Sequence[Group], folds: int, seed: int = 0) -> dict[Group, int]:
    """Each direction's queries, ordered by a seeded hash, dealt round-robin: balanced and deterministic."""
    out: dict[Group, int] = {}
    for direction in sorted({d for d, _ in groups}):
        ordered = sorted(
            {g for g in groups if g[0] == direction}, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).digest()
        )
        out.update({group: i % folds for i, group in enumerate(ordered)})
    return out


@dataclass(frozen=True, slots=True)
class CrossValidated:
    scores: np.ndarray  # out-of-fold score of each pair
    predicted: np.ndarray  # how many folds predicted each pair (1 when the split is sound)
    fold_of: np.ndarray  # the fold that predicted each pair
    boosters: list[Any]  # one xgboost.Booster per fold
    trained: list[np.ndarray]  # per fold, the mask of the pairs its model was trained on


def cross_validate(
    pairs: Sequence[JudgedPair], features: np.ndarray, labels: np.ndarray, folds: dict[Group, int]
) -> CrossValidated:
    """Train one model per fold on the other folds' pairs; score the fold's own pairs with it."""
    fold_of = np.array([folds[p.group] for p in pairs], np.int64)
    keys = [p.key for p in pairs]
    scores = np.full(len(pairs), np.nan, np.float32)
    predicted = np.zeros(len(pairs), np.int64)
    boosters: list[Any] = []
    trained: list[np.ndarray] = []
    for fold in range(max(folds.values()) + 1):
        test = fold_of == fold
        tested = {k for k, t in zip(keys, test.tolist(), strict=True) if t}
        train = ~test & np.array([k not in tested for k in keys])
        booster = xgb.train(
            PARAMS_JUDGED, xgb.DMatrix(features[train], labels[train], feature_names=list(NAMES)), ROUNDS_JUDGED
        )
        scores[test] = booster.inplace_predict(features[test], validate_features=False)
        predicted[test] += 1
        boosters.append(booster)
        trained.append(train)
    return CrossValidated(scores, predicted, fold_of, boosters, trained)


@dataclass(frozen=True, slots=True)
class JudgedRun:
    encoder: str
    pairs: list[JudgedPair]
    features: np.ndarray
    labels: np.ndarray
    folds: dict[Group, int]
    cv: CrossValidated
    lists: dict[str, dict[str, DirectionScores]]  # direction -> {"cosine": ..., "learned_judged_only": ...}
    seconds: dict[str, float]
    candidates: int
    seed: int
    # direction -> the cosine rank (1 = best, among every posting of the other kind) of each judged relevant pair
    relevant_ranks: dict[str, list[int]]


def run_judged(model: str = "use-multilingual", folds: int = 5, candidates: int = 100, seed: int = 0) -> JudgedRun:
    """Encode the sample, build the judged pairs' features, cross-validate, and rank each query's candidates."""
    clock = [time.perf_counter()]
    data, pairs = superjob(), read_judgments()
    encoder = load_encoder(ModelSettings(name=model))  # 256 tokens, as the table
    events = {"vacancy": data.vacancies, "resume": data.resumes}
    ids = {kind: [e.id for e in side] for kind, side in events.items()}
    at = {kind: {id_: i for i, id_ in enumerate(side)} for kind, side in ids.items()}
    postings = {kind: [Posting.from_event(e) for e in side] for kind, side in events.items()}
    vectors = {kind: encoder.encode([embedding_text(e, MAX_CHARS)[0] for e in side]) for kind, side in events.items()}
    clock.append(time.perf_counter())
    builder = FeatureBuilder(TextModel.fit([*postings["vacancy"], *postings["resume"]]))
    v_rows, r_rows = [at["vacancy"][p.key[0]] for p in pairs], [at["resume"][p.key[1]] for p in pairs]
    cosine = np.einsum("ij,ij->i", vectors["vacancy"][v_rows], vectors["resume"][r_rows]).astype(np.float32)
    vacancies, resumes = [postings["vacancy"][i] for i in v_rows], [postings["resume"][i] for i in r_rows]
    features = builder.features(vacancies, resumes, cosine)
    labels = np.array([int(p.grade >= 1) for p in pairs], np.int8)
    clock.append(time.perf_counter())
    fold_map = query_folds([p.group for p in pairs], folds, seed)
    cv = cross_validate(pairs, features, labels, fold_map)
    clock.append(time.perf_counter())
    lists: dict[str, dict[str, DirectionScores]] = {}
    relevant: dict[Group, list[str]] = defaultdict(list)
    for p in pairs:
        if p.grade >= 1:
            relevant[p.group].append(p.candidate)
    relevant_ranks: dict[str, list[int]] = defaultdict(list)
    for direction in DIRECTIONS:
        side, other = ("vacancy", "resume") if direction == "vacancy_to_resume" else ("resume", "vacancy")
        queries = data.v_queries if side == "vacancy" else data.r_queries
        grader = data.v2r if side == "vacancy" else data.r2v
        ranked: dict[str, list[list[str]]] = defaultdict(list)
        for query in queries:
            q = at[side][query]
            every = vectors[other] @ vectors[side][q]
            order = top_k(every[None, :], candidates)[0]
            for candidate in relevant[(direction, query)]:  # where the pool's cosine put each relevant pair
                relevant_ranks[direction].append(int((every > every[at[other][candidate]]).sum()) + 1)
            mine, found = [postings[side][q]] * len(order), [postings[other][j] for j in order]
            pair_cosine = (vectors[other][order] @ vectors[side][q]).astype(np.float32)
            v_side, r_side = (mine, found) if side == "vacancy" else (found, mine)
            rows = builder.features(v_side, r_side, pair_cosine)
            learned = cv.boosters[fold_map[(direction, query)]].inplace_predict(rows, validate_features=False)
            for name, chosen in (("cosine", order), ("learned", order[np.argsort(-learned, kind="stable")])):
                ranked[name].append([ids[other][j] for j in chosen])  # and the condensed list: judged pairs only
                ranked[f"{name}_judged_only"].append([c for c in ranked[name][-1] if grader(query, c) is not None])
        ideal = (data.v_ideal if side == "vacancy" else data.r_ideal) or {}
        lists[direction] = {
            name: evaluate_direction(lists_, queries, grader, None, [ideal.get(q, []) for q in queries])
            for name, lists_ in ranked.items()
        }
    clock.append(time.perf_counter())
    steps = ("encode", "features", "cross_validation", "lists")
    seconds = {step: clock[i + 1] - clock[i] for i, step in enumerate(steps)} | {"total": clock[-1] - clock[0]}
    return JudgedRun(
        encoder.name, pairs, features, labels, fold_map, cv, lists, seconds, candidates, seed, dict(relevant_ranks)
    )


def _query_auc(scores: np.ndarray, labels: np.ndarray, groups: Sequence[Group]) -> float | None:
    """Mean ROC-AUC within a query, over the queries with both classes: how well each query's pairs are ordered."""
    values = []
    for group in sorted(set(groups)):
        rows = np.array([g == group for g in groups])
        if len(set(labels[rows].tolist())) == 2:
            values.append(float(roc_auc_score(labels[rows], scores[rows])))
    return round(float(np.mean(values)), 4) if values else None


def _pair_metrics(run: JudgedRun, rows: np.ndarray) -> dict[str, Any]:
    labels = run.labels[rows]
    groups = [p.group for p, r in zip(run.pairs, rows.tolist(), strict=True) if r]
    scores = {"learned": run.cv.scores[rows], "cosine": np.nan_to_num(run.features[rows, INDEX["cosine"]])}
    out: dict[str, Any] = {"pairs": int(rows.sum()), "positives": int(labels.sum()), "queries": len(set(groups))}
    return out | {
        k: {**_aucs(v, labels), "mean_query_roc_auc": _query_auc(v, labels, groups)} for k, v in scores.items()
    }


def _list_metrics(s: DirectionScores) -> dict[str, float]:
    names = ("precision_at_10", "precision_at_10_if_unjudged_relevant", "ndcg_at_10", "judged_share_at_10")
    values = (s.precision_at_10, s.precision_at_10 + 1 - s.judged_at_10, s.ndcg_at_10, s.judged_at_10)
    return {name: round(value, 4) for name, value in zip(names, values, strict=True)}


POOL_DEPTHS = (10, 50, 100, 200, 500)


def pool_recall(ranks: Sequence[int]) -> dict[str, float | int]:
    """Share of the judged relevant pairs within the cosine top K, for each K of :data:`POOL_DEPTHS`."""
    found = np.asarray(ranks)
    shares = {f"at_{k}": round(float((found <= k).mean()), 4) if len(found) else 0.0 for k in POOL_DEPTHS}
    return {"relevant_pairs": len(found), **shares}


def summarise(run: JudgedRun) -> dict[str, Any]:
    """The JSON-ready report of a run."""
    directions = np.array([p.direction for p in run.pairs])
    keys = {d: {p.key for p in run.pairs if p.direction == d} for d in DIRECTIONS}
    return {
        "dataset": "SuperJob sample, hand-judged pairs, relevant: grade >= 1 (datasets/judgments, JUDGING.md)",
        "encoder": run.encoder,
        "text": f"careerrank.encoding.embedding_text, {MAX_CHARS} characters (the pipeline's text)",
        "counts": {
            "pairs": len(run.pairs),
            "positives": int(run.labels.sum()),
            "queries": len(run.folds),
            "folds": len(run.cv.boosters),
            "pairs_judged_in_both_directions": len(keys["vacancy_to_resume"] & keys["resume_to_vacancy"]),
        },
        "model": {"params": {k: v for k, v in PARAMS_JUDGED.items() if k != "nthread"}, "rounds": ROUNDS_JUDGED},
        "out_of_fold": {
            "all": _pair_metrics(run, np.ones(len(run.pairs), bool)),
            **{name: _pair_metrics(run, directions == d) for d, name in DIRECTIONS.items()},
        },
        "lists": {
            "candidates": run.candidates,
            "fold_seed": run.seed,
            **{name: {kind: _list_metrics(s) for kind, s in run.lists[d].items()} for d, name in DIRECTIONS.items()},
        },
        "pool_recall": {name: pool_recall(run.relevant_ranks.get(d, [])) for d, name in DIRECTIONS.items()},
        "seconds": {k: round(v, 1) for k, v in run.seconds.items()},
        "note": (
            "Learned lists re-order the cosine's top candidates; unjudged pairs count as not relevant, and the "
            "judged pool is the top 10 of the quality table's setups (the model learned from it alone). Where a "
            "list's judged share at 10 is below 1, its precision@10 is a lower bound: the truth lies between "
            "precision_at_10 and precision_at_10_if_unjudged_relevant; *_judged_only drops the unjudged candidates "
            "and keeps the order (condensed lists). mean_query_roc_auc is ROC-AUC within each query (the order a "
            "re-ranker changes), averaged; roc_auc and pr_auc pool all queries' pairs. pool_recall: the share of "
            "judged relevant pairs among each query's cosine top K, the candidates a re-ranker can reach; the judged "
            "pool was drawn from the top 10 of several methods, so it is an upper bound of the true recall."
        ),
    }


def evaluate_judged(
    encoder_name: str = "use-multilingual", folds: int = 5, candidates: int = 100, seed: int = 0
) -> dict[str, Any]:
    """The learned score against the cosine on the judged SuperJob pairs (see the module docstring)."""
    return summarise(run_judged(encoder_name, folds, candidates, seed))
