"""The scoring model that serves: read from the registry, reloaded when another one is activated."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from careerrank.errors import ScoringModelError
from careerrank.scoring.model import ScoringModel
from careerrank.scoring.pair_scorer import PairScorer
from careerrank.storage import Session

log = logging.getLogger(__name__)

# The version under which scores are the embedding cosine: no model is active.
COSINE = "cosine"


class ActiveModel:
    """One :class:`PairScorer` per process (its per-posting cache shared by every use), or None for cosine;
    and the embedding model whose vectors the cosines come from (the last reindex's, else the configured one)."""

    def __init__(self, executor: ThreadPoolExecutor, embedding_model: str) -> None:
        self.executor = executor
        self.scorer: PairScorer | None = None
        self.embedding_model = embedding_model
        self._configured_embedding_model = embedding_model
        self._lock = asyncio.Lock()
        self._refused: str | None = None  # an active model this code cannot serve (trained on other features)

    @property
    def version(self) -> str:
        return self.scorer.version if self.scorer is not None else COSINE

    async def follow(self, session: Session) -> str:
        """Load the active scoring model if it changed, follow the embedding model; return the version that
        scores now."""
        async with self._lock:
            # A reindex that switched models moves every vector to the new one; follow it, as the matcher does.
            self.embedding_model = await session.models.active() or self._configured_embedding_model
            active = await session.scoring_models.active_version()
            if active == (self.scorer.version if self.scorer else None) or (active and active == self._refused):
                return self.version
            if active is None:
                self.scorer = None
                return self.version
            artifact = await session.scoring_models.artifact(active)
            loop = asyncio.get_running_loop()
            try:
                model = await loop.run_in_executor(self.executor, ScoringModel.from_bytes, artifact)
            except ScoringModelError as exc:
                # Scores under the cosine, loudly, until a model this code can serve is activated: a scorer that
                # crashes on every list would leave every list as it was, changes unranked.
                log.error("active scoring model refused; scoring by cosine", extra={"model": active, "error": str(exc)})
                self._refused, self.scorer = active, None
                return self.version
            self.scorer = PairScorer(model)
            log.info("scoring model loaded", extra={"model": active})
            return self.version
