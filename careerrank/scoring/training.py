"""Training a scoring model on recruiter decisions: split, filter, fit, measure, pick the threshold.

- Split by vacancy and by time, never by row: vacancies ordered by their first decision, the latest
  ``test_share`` of them held out (all their rows), the latest ``valid_share`` of the rest for early stopping
  and the threshold. No vacancy is on two sides, and the held-out pairs are decided after the training ones.
- The outlier filter (:mod:`careerrank.scoring.outliers`) cleans training and held-out rows alike; the report
  says what it excluded, and the metrics say what the same split scores without it.
- Sampled negatives (:mod:`careerrank.scoring.sampled_negatives`), pairs no recruiter decided on, are training
  rows only, at their own weight: never validation or held-out rows, never seen by the outlier filter.
- xgboost with a fixed random state, each feature held to its declared direction (monotone constraints);
  ROC-AUC and PR-AUC on the held-out rows against the embedding cosine alone. The score is calibrated on the
  validation rows (:mod:`careerrank.scoring.calibration`; Brier score and reliability curve on the held-out rows),
  and the threshold is the highest calibrated score that keeps ``recall`` of invited pairs on the validation rows;
  its precision and recall are measured on the held-out rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.metrics import average_precision_score, roc_auc_score

from careerrank.errors import TrainingDataError
from careerrank.scoring.calibration import Platt, brier, calibration_report
from careerrank.scoring.features import FEATURE_VERSION, INDEX, MONOTONE, NAMES
from careerrank.scoring.model import ScoringModel
from careerrank.scoring.outliers import FilterReport, filter_outliers
from careerrank.scoring.texts import TextModel

PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "tree_method": "hist",
    # Depth 4: exact SHAP values (the reasons stored with every shown row and application) cost about a sixth
    # of depth 6's (0.23 against 1.38 ms a row on the bench machine) for a held-out ROC-AUC 0.001 lower.
    "max_depth": 4,
    "eta": 0.15,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 2,
    "lambda": 1.0,
    "seed": 0,
    "nthread": 2,
    # Each feature's declared direction (careerrank.scoring.features): a score never moves against it.
    "monotone_constraints": "(" + ",".join(str(d) for d in MONOTONE) + ")",
}
ROUNDS = 600
EARLY_STOP = 40
MIN_ROWS = 200


@dataclass(frozen=True, slots=True)
class LabelledPairs:
    """Decided pairs, their features and labels (1: invited), aligned row by row."""

    vacancy_ids: np.ndarray
    recruiter_ids: np.ndarray
    times: np.ndarray  # seconds since the epoch, when decided
    features: np.ndarray
    labels: np.ndarray
    # Rows no recruiter decided on, presumed rejections (careerrank.scoring.sampled_negatives), and each row's
    # training weight; None: every row is a decision, of weight 1.
    sampled: np.ndarray | None = None
    weights: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True, slots=True)
class Split:
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def split_by_vacancy_and_time(pairs: LabelledPairs, test_share: float = 0.2, valid_share: float = 0.15) -> Split:
    """Row masks of the three sides (see the module docstring)."""
    first: dict[str, float] = {}
    for vacancy, when in zip(pairs.vacancy_ids.tolist(), pairs.times.tolist(), strict=True):
        first[vacancy] = min(first.get(vacancy, when), when)
    ordered = sorted(first, key=lambda v: (first[v], v))
    n_test = max(1, round(len(ordered) * test_share))
    n_valid = max(1, round((len(ordered) - n_test) * valid_share))
    test = set(ordered[len(ordered) - n_test :])
    valid = set(ordered[len(ordered) - n_test - n_valid : len(ordered) - n_test])
    in_test = np.isin(pairs.vacancy_ids, list(test))
    in_valid = np.isin(pairs.vacancy_ids, list(valid))
    return Split(~(in_test | in_valid), in_valid, in_test)


def relevance(features: np.ndarray) -> np.ndarray:
    """What the outlier filter calls "the text": embedding cosine and title similarity, the labels aside."""
    titles = np.nan_to_num(
        np.maximum(features[:, INDEX["title_vs_title"]], features[:, INDEX["title_vs_past_positions"]])
    )
    combined: np.ndarray = np.nan_to_num(features[:, INDEX["cosine"]]) + titles
    return combined


def threshold_for_recall(scores: np.ndarray, labels: np.ndarray, recall: float) -> float:
    """The highest threshold whose recall of positives on these rows is at least ``recall``."""
    positives = np.sort(scores[labels == 1])
    if not len(positives):
        raise TrainingDataError("no invited pair to choose a threshold on")
    keep = int(np.ceil(recall * len(positives)))
    return float(positives[len(positives) - keep])


def _fit(
    features: np.ndarray,
    labels: np.ndarray,
    valid_x: np.ndarray,
    valid_y: np.ndarray,
    weights: np.ndarray | None = None,
) -> xgb.Booster:
    train = xgb.DMatrix(features, labels, weight=weights, feature_names=list(NAMES))
    valid = xgb.DMatrix(valid_x, valid_y, feature_names=list(NAMES))
    return xgb.train(
        PARAMS, train, ROUNDS, evals=[(valid, "valid")], early_stopping_rounds=EARLY_STOP, verbose_eval=False
    )


def _predict(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    scores: np.ndarray = np.asarray(booster.inplace_predict(features, validate_features=False), np.float32)
    return scores


def _margins(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    raw = booster.inplace_predict(features, validate_features=False, predict_type="margin")
    margins: np.ndarray = np.asarray(raw, np.float32)
    return margins


def _aucs(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
        "pr_auc": round(float(average_precision_score(labels, scores)), 4),
    }


def train(
    pairs: LabelledPairs,
    text_model: TextModel,
    *,
    version: str,
    trained_on: str,
    recall: float = 0.9,
    use_filter: bool = True,
) -> tuple[ScoringModel, dict[str, Any]]:
    """Train and measure; return the model and its report (also kept in ``model.metrics``)."""
    if len(pairs) < MIN_ROWS or len(set(pairs.labels.tolist())) < 2:
        raise TrainingDataError(
            f"{len(pairs)} decided pairs with {len(set(pairs.labels.tolist()))} classes: need {MIN_ROWS} with both "
            "invitations and rejections"
        )
    split = split_by_vacancy_and_time(pairs)
    sampled = pairs.sampled if pairs.sampled is not None else np.zeros(len(pairs), bool)
    weights = pairs.weights if pairs.weights is not None else np.ones(len(pairs), np.float32)
    decided = ~sampled
    report: FilterReport = filter_outliers(
        pairs.vacancy_ids[decided],
        pairs.recruiter_ids[decided],
        pairs.labels[decided],
        relevance(pairs.features[decided]),
    )
    clean = sampled.copy()
    clean[decided] = report.kept if use_filter else True
    x, y = pairs.features, pairs.labels
    train_rows, valid_rows = split.train & clean, split.valid & clean & decided
    # Held out rows are cleaned as the training rows are, so that the model and its unfiltered twin (below)
    # face the same truth; without the filter nothing is cleaned.
    test_rows = split.test & clean & decided
    for name, rows in (("training", train_rows), ("validation", valid_rows), ("held-out", test_rows)):
        if len(set(y[rows].tolist())) < 2:
            raise TrainingDataError(f"the {name} rows hold one class only: too little feedback")
    booster = _fit(x[train_rows], y[train_rows], x[valid_rows], y[valid_rows], weights[train_rows])
    calibration = Platt.fit(_margins(booster, x[valid_rows]), y[valid_rows])
    threshold = threshold_for_recall(calibration.apply(_margins(booster, x[valid_rows])), y[valid_rows], recall)
    test_scores = calibration.apply(_margins(booster, x[test_rows]))
    test_y = y[test_rows]
    flagged = test_scores >= threshold
    metrics: dict[str, Any] = {
        "rows": {"train": int(train_rows.sum()), "valid": int(valid_rows.sum()), "test": int(test_rows.sum())},
        "sampled_negatives": {
            "training_rows": int((train_rows & sampled).sum()),
            "share_of_training_rows": round(float((train_rows & sampled).sum() / max(1, train_rows.sum())), 4),
            "weight": round(float(weights[sampled].mean()), 4) if sampled.any() else None,
        },
        "held_out": _aucs(test_scores, test_y),
        "cosine_alone": _aucs(np.nan_to_num(x[test_rows, INDEX["cosine"]]), test_y),
        "calibration": {
            "platt": {"slope": round(calibration.slope, 4), "intercept": round(calibration.intercept, 4)},
            "uncalibrated_brier": round(brier(_predict(booster, x[test_rows]), test_y), 4),
            **calibration_report(test_scores, test_y),
        },
        "threshold": {
            "value": round(threshold, 4),
            "target_recall": recall,
            "recall": round(float(flagged[test_y == 1].mean()), 4),
            "precision": round(float(test_y[flagged].mean()) if flagged.any() else 0.0, 4),
            "suitable_share": round(float(flagged.mean()), 4),
        },
        "outlier_filter": {"used": use_filter, **report.summary()},
        "importance": _importance(booster),
        "rounds": int(booster.best_iteration) + 1,
    }
    if use_filter:
        # The same split trained on unfiltered rows: what the filter is worth.
        raw = _fit(
            x[split.train], y[split.train], x[split.valid & decided], y[split.valid & decided], weights[split.train]
        )
        metrics["without_filter"] = _aucs(_predict(raw, x[test_rows]), test_y)
    booster.set_param({"nthread": 1})
    model = ScoringModel(version, booster, text_model, threshold, FEATURE_VERSION, metrics, trained_on, calibration)
    return model, metrics


def _importance(booster: xgb.Booster, top: int = 15) -> dict[str, float]:
    gains = {k: float(v) for k, v in booster.get_score(importance_type="total_gain").items() if not isinstance(v, list)}
    total = sum(gains.values()) or 1.0
    ranked = sorted(gains.items(), key=lambda kv: -kv[1])[:top]
    return {name: round(value / total, 4) for name, value in ranked}
