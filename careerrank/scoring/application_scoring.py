"""Scoring the applications that need it: new ones, those whose items changed, all of them after a switch.

What needs a score is decided in PostgreSQL (:meth:`Applications.pending`): an open application whose stored
score is not the active model's at its items' current versions, and whose items and vectors are stored. So
an application that arrives before its resume is scored when the resume's vector is committed, an edited
resume's applications are rescored, and activating a model rescores everything, a vacancy at a time in one
transaction each: a recruiter never sees one vacancy's applications under two models.

Until a model is active the score is the embedding cosine, under the version ``cosine``, with no flag.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import numpy as np

from careerrank.scoring.active_model import COSINE, ActiveModel
from careerrank.scoring.pair_scorer import PairScorer, pair_cosine
from careerrank.scoring.postings import Posting
from careerrank.storage import Database, ScoredApplication, Session
from careerrank.storage.applications import PendingApplication
from schemas import Kind

log = logging.getLogger(__name__)


class ApplicationScoring:
    """The active model applied to pending applications."""

    def __init__(self, database: Database, active: ActiveModel) -> None:
        self._database = database
        self._active = active
        self._lock = asyncio.Lock()

    @property
    def model_version(self) -> str:
        return self._active.version

    async def score_pending(self, vacancies: Sequence[str] | None = None, max_vacancies: int = 200) -> int:
        """Score what is pending (of ``vacancies``, or any); return how many applications were stored."""
        async with self._lock, self._database.session() as session:
            version = await self._active.follow(session)
            scorer = self._active.scorer  # this one, even if another is loaded meanwhile
            embedding_model = self._active.embedding_model
            pending = await session.applications.pending(embedding_model, version, vacancies, max_vacancies)
            if not pending:
                return 0
            scored = await self._score(session, pending, scorer)
            async with session.transaction():
                return await session.applications.store_scores(scored)

    async def _score(
        self, session: Session, pending: list[PendingApplication], scorer: PairScorer | None
    ) -> list[ScoredApplication]:
        vacancies = await _postings(session, "vacancy", {p.vacancy_id for p in pending})
        resumes = await _postings(session, "resume", {p.resume_id for p in pending})
        embedding_model = self._active.embedding_model
        v_vectors = await session.embeddings.fetch("vacancy", embedding_model, list(vacancies))
        r_vectors = await session.embeddings.fetch("resume", embedding_model, list(resumes))
        # An item may have moved on since the pending query: score only pairs still at the versions read.
        ready = [
            p
            for p in pending
            if p.vacancy_id in vacancies
            and p.resume_id in resumes
            and vacancies[p.vacancy_id].version == p.vacancy_version
            and resumes[p.resume_id].version == p.resume_version
            and p.vacancy_id in v_vectors
            and p.resume_id in r_vectors
        ]
        cosine = np.array(
            [pair_cosine(v_vectors[p.vacancy_id].vector, r_vectors[p.resume_id].vector) for p in ready], np.float32
        )
        v_side = [vacancies[p.vacancy_id] for p in ready]
        r_side = [resumes[p.resume_id] for p in ready]
        if scorer is None:
            return [
                ScoredApplication(p.vacancy_id, p.resume_id, float(c), None, [], COSINE, p.vacancy_version,
                                  p.resume_version)
                for p, c in zip(ready, cosine.tolist(), strict=True)
            ]  # fmt: skip

        def compute() -> tuple[np.ndarray, np.ndarray, list[list[dict[str, object]]]]:
            result = scorer.score(v_side, r_side, cosine)
            return result.scores, result.suitable, scorer.explain(result.features, v_side, r_side)

        scores, suitable, reasons = await asyncio.get_running_loop().run_in_executor(self._active.executor, compute)
        return [
            ScoredApplication(
                p.vacancy_id,
                p.resume_id,
                float(scores[i]),
                bool(suitable[i]),
                reasons[i],
                scorer.version,
                p.vacancy_version,
                p.resume_version,
            )
            for i, p in enumerate(ready)
        ]


async def _postings(session: Session, kind: Kind, ids: set[str]) -> dict[str, Posting]:
    return {row["id"]: Posting.from_row(kind, row) for row in await session.items.postings(kind, sorted(ids))}
