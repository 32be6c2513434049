"""Cross-validation on the judged SuperJob pairs, shaped as production training (:mod:`careerrank.scoring.training`).

- Each fold ``f`` is tested by a model trained on every other fold. Its calibration and suitable threshold come
  from those folds' cross-fitted scores: each of them scored by a model trained on the rest (as production
  training calibrates on validation vacancies its model never saw, without taking a fifth of sixty queries away
  from the trees). No model sees the queries it scores, nor, through a pair judged both ways, the pairs it scores.
- Sampled negatives (:mod:`careerrank.scoring.sampled_negatives`) belong to their query's fold and are training
  rows only, at :data:`careerrank.scoring.sampled_negatives.WEIGHT`.
- xgboost with :data:`careerrank.scoring.training.PARAMS` at depth 4 (:data:`PARAMS_JUDGED`) and a fixed
  :data:`ROUNDS_JUDGED` rounds instead of early stopping, both set before any result was seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xgboost as xgb

from careerrank.scoring.calibration import Platt
from careerrank.scoring.features import NAMES
from careerrank.scoring.training import PARAMS, threshold_for_recall

Group = tuple[str, str]  # (direction, query id)
PARAMS_JUDGED: dict[str, Any] = {**PARAMS, "max_depth": 4}
ROUNDS_JUDGED = 150
RECALL = 0.9  # the suitable flag keeps this share of the validation fold's suitable pairs


@dataclass(frozen=True, slots=True)
class Rows:
    """Feature rows with their labels, query groups, (vacancy, resume) keys and training weights."""

    features: np.ndarray
    labels: np.ndarray
    groups: Sequence[Group]
    keys: Sequence[tuple[str, str]]
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True, slots=True)
class CrossValidated:
    scores: np.ndarray  # out-of-fold calibrated score of each judged pair
    predicted: np.ndarray  # how many folds predicted each pair (1 when the split is sound)
    fold_of: np.ndarray  # the fold that predicted each pair
    boosters: list[Any]  # one xgboost.Booster per fold
    calibrations: list[Platt]  # per fold, fitted on its validation fold
    thresholds: list[float]  # per fold, the suitable threshold chosen on its validation fold
    trained: list[np.ndarray]  # per fold, the mask of the judged pairs its model was trained on
    validated: list[np.ndarray]  # per fold, the mask of the judged pairs it was calibrated on

    def probabilities(self, fold: int, features: np.ndarray) -> np.ndarray:
        margins = self.boosters[fold].inplace_predict(features, validate_features=False, predict_type="margin")
        return self.calibrations[fold].apply(np.asarray(margins, np.float32))


def _fold_of(groups: Sequence[Group], folds: dict[Group, int]) -> np.ndarray:
    return np.array([folds[g] for g in groups], np.int64)


def _train(judged: Rows, rows: np.ndarray, sampled: Rows | None, sampled_rows: np.ndarray) -> Any:
    x, y, w = judged.features[rows], judged.labels[rows], judged.weights[rows]
    if sampled is not None:
        x = np.concatenate([x, sampled.features[sampled_rows]])
        y = np.concatenate([y, sampled.labels[sampled_rows]])
        w = np.concatenate([w, sampled.weights[sampled_rows]])
    return xgb.train(PARAMS_JUDGED, xgb.DMatrix(x, y, weight=w, feature_names=list(NAMES)), ROUNDS_JUDGED)


def _margins(booster: Any, features: np.ndarray) -> np.ndarray:
    return np.asarray(booster.inplace_predict(features, validate_features=False, predict_type="margin"), np.float32)


class _Split:
    """Which judged and sampled rows may train a model that must not see the folds ``held``."""

    def __init__(self, judged: Rows, folds: dict[Group, int], sampled: Rows | None) -> None:
        self.judged, self.sampled = judged, sampled
        self.fold_of = _fold_of(judged.groups, folds)
        self.sampled_fold = _fold_of(sampled.groups, folds) if sampled is not None else np.zeros(0, np.int64)

    def rows(self, held: set[int]) -> tuple[np.ndarray, np.ndarray]:
        out = ~np.isin(self.fold_of, list(held))
        keys = {k for k, o in zip(self.judged.keys, out.tolist(), strict=True) if not o}
        out &= np.array([k not in keys for k in self.judged.keys], bool)
        extra = ~np.isin(self.sampled_fold, list(held))
        if self.sampled is not None:
            extra &= np.array([k not in keys for k in self.sampled.keys], bool)
        return out, extra


def cross_validate(judged: Rows, folds: dict[Group, int], sampled: Rows | None = None) -> CrossValidated:
    """One model per fold (see the module docstring); ``sampled`` rows only ever train."""
    count = max(folds.values()) + 1
    split = _Split(judged, folds, sampled)
    scores = np.full(len(judged), np.nan, np.float32)
    predicted = np.zeros(len(judged), np.int64)
    out = CrossValidated(scores, predicted, split.fold_of, [], [], [], [], [])
    for fold in range(count):
        train, extra = split.rows({fold})
        booster = _train(judged, train, sampled, extra)
        # Cross-fitted scores of the training folds: each by a model that never saw it.
        fitted = np.full(len(judged), np.nan, np.float32)
        for inner in set(range(count)) - {fold}:
            inner_train, inner_extra = split.rows({fold, inner})
            rows = split.fold_of == inner
            fitted[rows] = _margins(_train(judged, inner_train, sampled, inner_extra), judged.features[rows])
        calibrated = split.fold_of != fold
        calibration = Platt.fit(fitted[calibrated], judged.labels[calibrated])
        out.boosters.append(booster)
        out.calibrations.append(calibration)
        valid_scores = calibration.apply(fitted[calibrated])
        out.thresholds.append(threshold_for_recall(valid_scores, judged.labels[calibrated], RECALL))
        test = split.fold_of == fold
        scores[test] = out.probabilities(fold, judged.features[test])
        predicted[test] += 1
        out.trained.append(train)
        out.validated.append(calibrated)
    return out
