"""``careerrank scorer list`` and the JSON the scorer commands print (training and activation are jobs:
:mod:`careerrank.jobs.scoring_models`)."""

from __future__ import annotations

import json
from typing import Any

from careerrank.settings import Settings
from careerrank.storage import connected


async def list_command(settings: Settings) -> list[dict[str, Any]]:
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        models = await session.scoring_models.all()
    return [
        {
            "version": m.version,
            "state": m.state,
            "feature_version": m.feature_version,
            "threshold": m.threshold,
            "held_out": m.metrics.get("held_out"),
            "cosine_alone": m.metrics.get("cosine_alone"),
            "trained_on": m.trained_on,
            "created_at": m.created_at.isoformat(),
        }
        for m in models
    ]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
