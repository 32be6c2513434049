"""The learned scorer measured on simulated recruiters, without services: what ``scripts/bench_scorer.py``
reports and what the unit tests hold to.

The simulation's postings are encoded with the given encoder, the decided pairs get their features, and the
training of :mod:`careerrank.scoring.training` runs on them as it does on PostgreSQL's feedback (same split,
filter and threshold). The hidden fit behind the decisions is used for nothing but the truth-side check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from careerrank.encoding import Encoder, embedding_text
from careerrank.scoring.model import ScoringModel
from careerrank.scoring.pair_scorer import FeatureBuilder
from careerrank.scoring.postings import Posting
from careerrank.scoring.texts import TextModel
from careerrank.scoring.training import LabelledPairs, train
from careerrank.synthetic import Simulation, simulate
from schemas import FeedbackRecorded, Kind, kind_of


@dataclass(frozen=True, slots=True)
class SimulatedRun:
    simulation: Simulation
    postings: dict[tuple[Kind, str], Posting]
    vectors: dict[tuple[Kind, str], np.ndarray]
    builder: FeatureBuilder
    pairs: LabelledPairs


def prepare(
    encoder: Encoder, seed: int = 0, vacancies: int = 1500, resumes: int = 1200, max_chars: int = 2000
) -> SimulatedRun:
    """Simulate, encode every posting, and build the labelled pairs of the recruiters' decisions."""
    simulation = simulate(seed, vacancies, resumes)
    postings = {(kind_of(e), e.id): Posting.from_event(e) for e in simulation.postings}
    texts = [embedding_text(e, max_chars)[0] for e in simulation.postings]
    matrix = encoder.encode(texts)
    vectors = {(kind_of(e), e.id): matrix[i] for i, e in enumerate(simulation.postings)}
    decisions = [e for e in simulation.scoring_events if isinstance(e, FeedbackRecorded) and e.decision != "shown"]
    text_model = TextModel.fit(list(postings.values()))
    builder = FeatureBuilder(text_model)
    cosine = np.array(
        [float(vectors[("vacancy", d.vacancy_id)] @ vectors[("resume", d.resume_id)]) for d in decisions], np.float32
    )
    features = builder.features(
        [postings[("vacancy", d.vacancy_id)] for d in decisions],
        [postings[("resume", d.resume_id)] for d in decisions],
        cosine,
    )
    pairs = LabelledPairs(
        np.array([d.vacancy_id for d in decisions], dtype=object),
        np.array([d.recruiter_id for d in decisions], dtype=object),
        np.array([d.occurred_at.timestamp() for d in decisions], np.float64),
        features,
        np.array([int(d.decision == "invited") for d in decisions], np.int8),
    )
    return SimulatedRun(simulation, postings, vectors, builder, pairs)


def train_on(run: SimulatedRun, recall: float = 0.9) -> tuple[ScoringModel, dict[str, Any]]:
    """Train as ``careerrank scorer train`` does, on the simulated decisions."""
    trained_on = f"simulated recruiters: {len(run.pairs)} decisions"
    return train(run.pairs, run.builder.text_model, version="simulated", trained_on=trained_on, recall=recall)
