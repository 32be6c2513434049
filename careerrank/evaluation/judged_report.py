"""The report of a judged run (:mod:`careerrank.evaluation.judged_scoring`), ready for JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from careerrank.evaluation.judged_lists import DirectionLists
from careerrank.evaluation.judged_scoring import DIRECTIONS, MAX_CHARS, JudgedRun, run_judged
from careerrank.evaluation.judged_training import PARAMS_JUDGED, RECALL, ROUNDS_JUDGED, CrossValidated, Group
from careerrank.evaluation.metrics import DirectionScores
from careerrank.scoring.calibration import brier, calibration_report
from careerrank.scoring.features import INDEX
from careerrank.scoring.sampled_negatives import WEIGHT
from careerrank.scoring.training import _aucs


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
    out |= {k: {**_aucs(v, labels), "mean_query_roc_auc": _query_auc(v, labels, groups)} for k, v in scores.items()}
    out["learned"]["brier"] = round(brier(run.cv.scores[rows], labels), 4)
    return out


def _lists(lists: DirectionLists) -> dict[str, Any]:
    return {kind: _list_metrics(s) for kind, s in lists.lists.items()} | {
        "ceiling_precision_at_10": round(lists.ceiling_precision_at_10, 4),
        "suitable_flag": lists.flag.summary(),
    }


def far_pairs_flagged(run: JudgedRun, cv: CrossValidated) -> float:
    """The share of sampled far pairs (outside each query's candidates, never judged) that the model of the fold
    holding their query out flags suitable: what sampled negatives are there to bring down."""
    fold_of = np.array([run.folds[g] for g in run.sampled.groups])
    flagged = [
        cv.probabilities(f, run.sampled.features[fold_of == f]) >= cv.thresholds[f] for f in range(len(cv.boosters))
    ]
    return round(float(np.concatenate(flagged).mean()), 4) if len(run.sampled) else 0.0


def _short(run: JudgedRun, cv: CrossValidated, lists: dict[str, DirectionLists]) -> dict[str, Any]:
    """The headline measures of one cross-validation: pooled ROC-AUC, Brier, learned lists, the flag."""
    out: dict[str, Any] = {
        "far_pairs_flagged": far_pairs_flagged(run, cv),
        "roc_auc": _aucs(cv.scores, run.labels)["roc_auc"],
        "brier": round(brier(cv.scores, run.labels), 4),
    }
    for d, name in DIRECTIONS.items():
        learned = lists[d].lists
        out[name] = {
            "learned_precision_at_10": round(learned["learned"].precision_at_10, 4),
            "learned_judged_share_at_10": round(learned["learned"].judged_at_10, 4),
            "learned_judged_only_precision_at_10": round(learned["learned_judged_only"].precision_at_10, 4),
            "suitable_flag": lists[d].flag.summary(),
        }
    return out


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
            "sampled_negatives": len(run.sampled),
            "sampled_negative_weight": WEIGHT,
            "sampled_share_of_training_weight": round(
                float(run.sampled.weights.sum() / (run.sampled.weights.sum() + run.judged.weights.sum())), 4
            ),
        },
        "model": {
            "params": {k: v for k, v in PARAMS_JUDGED.items() if k != "nthread"},
            "rounds": ROUNDS_JUDGED,
            "flag_target_recall": RECALL,
            "thresholds": [round(t, 4) for t in run.cv.thresholds],
        },
        "out_of_fold": {
            "all": _pair_metrics(run, np.ones(len(run.pairs), bool)),
            **{name: _pair_metrics(run, directions == d) for d, name in DIRECTIONS.items()},
        },
        "calibration": calibration_report(run.cv.scores, run.labels),
        "lists": {
            "candidates": run.candidates,
            "fold_seed": run.seed,
            **{name: _lists(run.lists[d]) for d, name in DIRECTIONS.items()},
        },
        "far_pairs_flagged": far_pairs_flagged(run, run.cv),
        "without_sampled_negatives": _short(run, run.without_sampled, run.lists_without_sampled),
        "pool_recall": {name: pool_recall(run.relevant_ranks.get(d, [])) for d, name in DIRECTIONS.items()},
        "seconds": {k: round(v, 1) for k, v in run.seconds.items()},
        "note": (
            "Learned lists re-order the cosine's top candidates; unjudged pairs count as not relevant, and the "
            "judged pool is the top 10 of the quality table's setups and of the learned lists (JUDGING.md). Where a "
            "list's judged share at 10 is below 1, its precision@10 is a lower bound: the truth lies between "
            "precision_at_10 and precision_at_10_if_unjudged_relevant; *_judged_only drops the unjudged candidates "
            "and keeps the order (condensed lists); ceiling_precision_at_10: the best any order of the candidates "
            "could reach by the judgments. suitable_flag: the flag in each list's ten shown rows, its "
            "precision and recall among the judged ones. mean_query_roc_auc is ROC-AUC within each query (the order "
            "a re-ranker changes), averaged; roc_auc, pr_auc and brier pool all queries' pairs, scored by calibrated "
            "out-of-fold models. pool_recall: the share of judged relevant pairs among each query's cosine top K, "
            "the candidates a re-ranker can reach; the judged pool was drawn from top-10 lists, so it is an upper "
            "bound of the true recall. far_pairs_flagged: the share of sampled far pairs (outside the query's "
            "candidates) flagged suitable by the model that held their query out."
        ),
    }


def evaluate_judged(
    encoder_name: str = "use-multilingual", folds: int = 5, candidates: int = 100, seed: int = 0
) -> dict[str, Any]:
    """The learned score against the cosine on the judged SuperJob pairs (see the module docstring)."""
    return summarise(run_judged(encoder_name, folds, candidates, seed))
