"""The training set as PostgreSQL holds it: recruiters' decisions joined to the postings and their vectors.

Decisions whose vacancy, resume or vector is not there (yet) are left out and counted: feedback may arrive
before its items, and is kept until they do. The text vectorizers are fitted on the postings decided on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from careerrank.scoring.pair_scorer import FeatureBuilder
from careerrank.scoring.postings import Posting
from careerrank.scoring.texts import TextModel
from careerrank.scoring.training import LabelledPairs
from careerrank.storage import Decision, Session
from schemas import Kind

CHUNK = 5000


@dataclass(frozen=True, slots=True)
class TrainingSet:
    pairs: LabelledPairs
    text_model: TextModel
    counts: dict[str, Any]


async def _postings(session: Session, kind: Kind, ids: Sequence[str]) -> dict[str, Posting]:
    out: dict[str, Posting] = {}
    for start in range(0, len(ids), CHUNK):
        for row in await session.items.postings(kind, ids[start : start + CHUNK]):
            out[row["id"]] = Posting.from_row(kind, row)
    return out


async def _vectors(session: Session, kind: Kind, model: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), CHUNK):
        stored = await session.embeddings.fetch(kind, model, ids[start : start + CHUNK])
        out.update({k: v.vector for k, v in stored.items()})
    return out


async def load_training_set(session: Session, model: str) -> TrainingSet:
    """Every decided pair whose postings and ``model`` vectors are stored, with its features."""
    decisions: list[Decision] = await session.feedback.decisions()
    vacancy_ids = sorted({d.vacancy_id for d in decisions})
    resume_ids = sorted({d.resume_id for d in decisions})
    vacancies = await _postings(session, "vacancy", vacancy_ids)
    resumes = await _postings(session, "resume", resume_ids)
    v_vectors = await _vectors(session, "vacancy", model, vacancy_ids)
    r_vectors = await _vectors(session, "resume", model, resume_ids)
    usable = [
        d
        for d in decisions
        if d.vacancy_id in vacancies
        and d.resume_id in resumes
        and d.vacancy_id in v_vectors
        and d.resume_id in r_vectors
    ]
    text_model = TextModel.fit([*vacancies.values(), *resumes.values()])
    builder = FeatureBuilder(text_model)
    cosine = np.array([float(v_vectors[d.vacancy_id] @ r_vectors[d.resume_id]) for d in usable], np.float32)
    features = builder.features(
        [vacancies[d.vacancy_id] for d in usable], [resumes[d.resume_id] for d in usable], cosine
    )
    pairs = LabelledPairs(
        np.array([d.vacancy_id for d in usable], dtype=object),
        np.array([d.recruiter_id for d in usable], dtype=object),
        np.array([d.occurred_at.timestamp() for d in usable], np.float64),
        features,
        np.array([int(d.invited) for d in usable], np.int8),
    )
    counts = {
        "decisions": len(decisions),
        "usable": len(usable),
        "waiting_for_items": len(decisions) - len(usable),
        "vacancies": len(vacancies),
        "resumes": len(resumes),
    }
    return TrainingSet(pairs, text_model, counts)
