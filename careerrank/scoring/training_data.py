"""The training set as PostgreSQL holds it: recruiters' decisions joined to the postings and their vectors.

Decisions whose vacancy, resume or vector is not there (yet) are left out and counted: feedback may arrive
before its items, and is kept until they do. Each decided vacancy also gets sampled negatives
(:mod:`careerrank.scoring.sampled_negatives`): open resumes from outside its stored candidates and never decided
with it. The text vectorizers are fitted on the postings decided on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from careerrank.scoring.occupations import occupations_held
from careerrank.scoring.pair_scorer import FeatureBuilder
from careerrank.scoring.postings import Posting
from careerrank.scoring.sampled_negatives import PER_ITEM, WEIGHT, draw
from careerrank.scoring.texts import TextModel
from careerrank.scoring.training import LabelledPairs
from careerrank.storage import Decision, Session
from schemas import Kind

CHUNK = 5000
POOL = 5_000  # open resumes the sampled negatives are drawn from


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


async def _sampled_negatives(
    session: Session, decisions: Sequence[Decision], vacancies: dict[str, Posting], per_vacancy: int, seed: str
) -> tuple[list[tuple[str, str]], dict[str, Posting]]:
    """(vacancy, resume) pairs: per decided vacancy, as many resumes as it has decisions (at most ``per_vacancy``),
    of another occupation family, outside its list and decisions; and the drawn pool's postings."""
    if per_vacancy <= 0:
        return [], {}
    excluded: dict[str, set[str]] = {}
    decided: dict[str, int] = {}
    for d in decisions:
        excluded.setdefault(d.vacancy_id, set()).add(d.resume_id)
        decided[d.vacancy_id] = decided.get(d.vacancy_id, 0) + 1
    for vacancy in excluded:
        excluded[vacancy] |= {row.target_id for row in await session.lists.read("vacancy", vacancy)}
    pool = await _postings(session, "resume", await session.items.sample_open("resume", POOL, seed))
    occupations = {p.id: occupations_held(p) for p in [*pool.values(), *vacancies.values()]}
    drawn = draw(sorted(excluded), list(pool), excluded, per_vacancy, seed=0, occupations=occupations, decided=decided)
    return drawn, pool


@dataclass(frozen=True, slots=True)
class Decided:
    """The decisions whose postings and vectors are stored (``usable``), with those postings and vectors."""

    decisions: list[Decision]
    usable: list[Decision]
    vacancies: dict[str, Posting]
    resumes: dict[str, Posting]
    v_vectors: dict[str, np.ndarray]
    r_vectors: dict[str, np.ndarray]

    def cosines(self) -> np.ndarray:
        return np.array(
            [float(self.v_vectors[d.vacancy_id] @ self.r_vectors[d.resume_id]) for d in self.usable], np.float32
        )


async def load_decided(session: Session, model: str, since: datetime | None = None) -> Decided:
    """Every decision (recorded since ``since``) and what of its pair is stored: postings, ``model`` vectors."""
    decisions: list[Decision] = await session.feedback.decisions(since)
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
    return Decided(decisions, usable, vacancies, resumes, v_vectors, r_vectors)


async def load_training_set(
    session: Session, model: str, negatives_per_vacancy: int = PER_ITEM, seed: str = "careerrank"
) -> TrainingSet:
    """Every decided pair whose postings and ``model`` vectors are stored, with its features, and the sampled
    negatives of the decided vacancies (``negatives_per_vacancy`` each; 0: none)."""
    decided = await load_decided(session, model)
    decisions, usable = decided.decisions, decided.usable
    vacancies, resumes = decided.vacancies, dict(decided.resumes)
    v_vectors, r_vectors = decided.v_vectors, dict(decided.r_vectors)
    text_model = TextModel.fit([*vacancies.values(), *resumes.values()])
    sampled, pool = await _sampled_negatives(session, usable, vacancies, negatives_per_vacancy, seed)
    drawn = sorted({r for _, r in sampled} - set(resumes))
    resumes |= {r: pool[r] for r in drawn}
    r_vectors |= await _vectors(session, "resume", model, drawn)
    sampled = [(v, r) for v, r in sampled if r in resumes and r in r_vectors]
    keys = [(d.vacancy_id, d.resume_id) for d in usable] + sampled
    builder = FeatureBuilder(text_model)
    cosine = np.array([float(v_vectors[v] @ r_vectors[r]) for v, r in keys], np.float32)
    features = builder.features([vacancies[v] for v, _ in keys], [resumes[r] for _, r in keys], cosine)
    is_sampled = np.arange(len(keys)) >= len(usable)
    pairs = LabelledPairs(
        np.array([v for v, _ in keys], dtype=object),
        np.array([d.recruiter_id for d in usable] + [SAMPLED] * len(sampled), dtype=object),
        np.array([d.occurred_at.timestamp() for d in usable] + [_first(usable, v) for v, _ in sampled], np.float64),
        features,
        np.array([int(d.invited) for d in usable] + [0] * len(sampled), np.int8),
        is_sampled,
        np.where(is_sampled, WEIGHT, 1.0).astype(np.float32),
    )
    counts = {
        "decisions": len(decisions),
        "usable": len(usable),
        "waiting_for_items": len(decisions) - len(usable),
        "vacancies": len(vacancies),
        "resumes": len(resumes) - len(drawn),
        "sampled_negatives": len(sampled),
    }
    return TrainingSet(pairs, text_model, counts)


SAMPLED = "(sampled)"  # the recruiter of a sampled negative: nobody


def _first(decisions: Sequence[Decision], vacancy: str) -> float:
    """When the vacancy was first decided on: its sampled negatives fall on its side of the time split."""
    return min(d.occurred_at.timestamp() for d in decisions if d.vacancy_id == vacancy)
