"""The scorer's active model: a model this code cannot serve (trained on other features) is refused loudly, and
the scorer scores by cosine instead of failing on every list, and does not read it again on every round."""

from __future__ import annotations

import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pytest

from careerrank.scoring.active_model import COSINE, ActiveModel
from careerrank.storage import Session


def _artifact_of_other_features() -> bytes:
    meta = {"version": "old", "threshold": 0.5, "feature_version": 0, "features": ["cosine"], "metrics": {}}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta | {"trained_on": ""}).encode(), np.uint8))
    return buffer.getvalue()


@dataclass
class _Registry:
    active: str | None
    artifacts: dict[str, bytes] = field(default_factory=dict)
    reads: int = 0

    async def active_version(self) -> str | None:
        return self.active

    async def artifact(self, version: str) -> bytes:
        self.reads += 1
        return self.artifacts[version]


@dataclass
class _Models:
    async def active(self) -> str | None:
        return None


@dataclass
class _Session:
    scoring_models: _Registry
    models: _Models = field(default_factory=_Models)


async def test_a_model_of_other_features_is_refused_and_the_scorer_scores_by_cosine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = _Registry("old", {"old": _artifact_of_other_features()})
    session = cast(Session, cast(Any, _Session(registry)))
    with ThreadPoolExecutor(1) as executor:
        active = ActiveModel(executor, "use-multilingual")
        with caplog.at_level(logging.ERROR):
            assert await active.follow(session) == COSINE
        assert active.scorer is None
        assert any("refused" in r.getMessage() for r in caplog.records)
        # Refused once: not read again on every round while it stays active.
        assert await active.follow(session) == COSINE
        assert registry.reads == 1
