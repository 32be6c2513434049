"""A trained scoring model: the gradient-boosted trees, the text vectorizers they read, the threshold.

Saved as one artifact (an ``.npz`` of raw bytes and JSON, never a pickle, so loading one runs no code) with
its feature version: a model is refused by code whose features differ from those it was trained on.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xgboost as xgb

from careerrank.errors import ScoringModelError
from careerrank.scoring.calibration import Platt
from careerrank.scoring.features import FEATURE_VERSION, NAMES
from careerrank.scoring.texts import TextModel


@dataclass
class ScoringModel:
    """``score(features)`` is the probability that the recruiter invites: the trees' log-odds through the
    calibration fitted on validation rows (:mod:`careerrank.scoring.calibration`); ``threshold`` splits suitable."""

    version: str
    booster: xgb.Booster
    text_model: TextModel
    threshold: float
    feature_version: int = FEATURE_VERSION
    metrics: dict[str, Any] = field(default_factory=dict)
    trained_on: str = ""
    calibration: Platt = field(default_factory=Platt)

    def margins(self, features: np.ndarray) -> np.ndarray:
        """The trees' raw log-odds, before calibration."""
        if not len(features):
            return np.zeros(0, np.float32)
        raw = self.booster.inplace_predict(features, validate_features=False, predict_type="margin")
        return np.asarray(raw, np.float32)

    def score(self, features: np.ndarray) -> np.ndarray:
        return self.calibration.apply(self.margins(features))

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """Exact SHAP values per feature in log-odds (the last column, the bias, is dropped)."""
        if not len(features):
            return np.zeros((0, len(NAMES)), np.float32)
        matrix = xgb.DMatrix(features, feature_names=list(NAMES))
        contribs = self.booster.predict(matrix, pred_contribs=True)
        return np.asarray(contribs[:, :-1], np.float32)

    def to_bytes(self) -> bytes:
        meta = {
            "version": self.version,
            "threshold": self.threshold,
            "feature_version": self.feature_version,
            "features": list(NAMES),
            "metrics": self.metrics,
            "trained_on": self.trained_on,
            "calibration": [self.calibration.slope, self.calibration.intercept],
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
            booster=np.frombuffer(bytes(self.booster.save_raw("ubj")), np.uint8),
            text=np.frombuffer(self.text_model.to_bytes(), np.uint8),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ScoringModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes())
            if meta["feature_version"] != FEATURE_VERSION or meta["features"] != list(NAMES):
                raise ScoringModelError(
                    f"model {meta['version']} was trained on feature version {meta['feature_version']}; this code "
                    f"computes version {FEATURE_VERSION}: train a new model"
                )
            booster = xgb.Booster()
            booster.load_model(bytearray(archive["booster"].tobytes()))
            booster.set_param({"nthread": 1})
            text_model = TextModel.from_bytes(archive["text"].tobytes())
        return cls(
            meta["version"],
            booster,
            text_model,
            float(meta["threshold"]),
            meta["feature_version"],
            meta["metrics"],
            meta["trained_on"],
            Platt(*meta.get("calibration", (1.0, 0.0))),
        )
