"""Jobs on the scoring models: train one on the recruiters' feedback in PostgreSQL, activate one."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from careerrank.encoding import model_id
from careerrank.errors import ScoringModelError
from careerrank.settings import Settings
from careerrank.storage import connected

log = logging.getLogger(__name__)


async def train_scoring_model(
    settings: Settings, version: str | None, recall: float = 0.9, use_filter: bool = True, activate: bool = False
) -> dict[str, Any]:
    """Train on every decided pair in PostgreSQL, register the model (a candidate), activate it if asked."""
    from careerrank.scoring.training import train
    from careerrank.scoring.training_data import load_training_set

    version = version or datetime.now(UTC).strftime("gbm-%Y%m%d-%H%M%S")
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        embedding_model = await session.models.active() or model_id(settings.model.name)
        data = await load_training_set(session, embedding_model)
        trained_on = (
            f"{data.counts['usable']} recruiter decisions on {data.counts['vacancies']} vacancies and "
            f"{data.counts['resumes']} resumes, embeddings {embedding_model}"
        )
        model, metrics = await asyncio.to_thread(
            train, data.pairs, data.text_model, version=version, trained_on=trained_on, recall=recall,
            use_filter=use_filter,
        )  # fmt: skip
        async with session.transaction():
            await session.scoring_models.register(
                version,
                feature_version=model.feature_version,
                trained_on=trained_on,
                threshold=model.threshold,
                metrics=metrics,
                artifact=model.to_bytes(),
            )
            if activate:
                await session.scoring_models.activate(version)
    log.info("scoring model registered", extra={"model": version, "activated": activate})
    return {"version": version, "activated": activate, "data": data.counts, "metrics": metrics}


async def activate_scoring_model(settings: Settings, version: str) -> dict[str, Any]:
    """Make ``version`` the model that serves; the previous one is retired. A model trained on features other than
    this code computes is refused (it could not be served)."""
    from careerrank.scoring.features import FEATURE_VERSION

    async with connected(settings.postgres.dsn.get_secret_value()) as session, session.transaction():
        registered = {m.version: m for m in await session.scoring_models.all()}
        if version in registered and registered[version].feature_version != FEATURE_VERSION:
            raise ScoringModelError(
                f"model {version} was trained on feature version {registered[version].feature_version}; this code "
                f"computes version {FEATURE_VERSION}: train a new model"
            )
        previous = await session.scoring_models.activate(version)
    return {"active": version, "retired": previous}
