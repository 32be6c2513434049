"""Scoring pairs: features from cached per-posting work, the model's score, the suitable flag, reasons.

Lemmatising and vectorising a posting's texts is most of the cost of a pair; it is done once per posting
version and kept (bounded), so scoring a hundred candidates of one item costs the comparisons and the trees.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from careerrank.scoring.explanations import strongest, word
from careerrank.scoring.features import Side, pair_features
from careerrank.scoring.model import ScoringModel
from careerrank.scoring.postings import Posting, Traits
from careerrank.scoring.texts import PostingTexts, TextModel

CACHE_POSTINGS = 300_000


class FeatureBuilder:
    """Pair features over a fitted :class:`TextModel`, with each posting's traits and texts cached."""

    def __init__(self, text_model: TextModel, cache_size: int = CACHE_POSTINGS) -> None:
        self.text_model = text_model
        self._cache: OrderedDict[tuple[str, str, datetime], tuple[Traits, PostingTexts]] = OrderedDict()
        self._cache_size = cache_size

    def prepared(self, posting: Posting) -> tuple[Traits, PostingTexts]:
        key = (posting.kind, posting.id, posting.version)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        made = (Traits.of(posting), self.text_model.texts(posting))
        self._cache[key] = made
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return made

    def side(self, postings: Sequence[Posting]) -> Side:
        prepared = [self.prepared(p) for p in postings]
        return Side(postings, [t for t, _ in prepared], [x for _, x in prepared])

    def features(self, vacancies: Sequence[Posting], resumes: Sequence[Posting], cosine: np.ndarray) -> np.ndarray:
        """Feature rows of the pairs ``(vacancies[i], resumes[i])``."""
        return pair_features(self.text_model, self.side(vacancies), self.side(resumes), cosine)


@dataclass(frozen=True, slots=True)
class Scored:
    scores: np.ndarray
    suitable: np.ndarray
    features: np.ndarray


class PairScorer:
    """The active model applied to pairs; ``explain`` words the reasons of the rows that are stored."""

    def __init__(self, model: ScoringModel, cache_size: int = CACHE_POSTINGS) -> None:
        self.model = model
        self.builder = FeatureBuilder(model.text_model, cache_size)

    @property
    def version(self) -> str:
        return self.model.version

    def score(self, vacancies: Sequence[Posting], resumes: Sequence[Posting], cosine: np.ndarray) -> Scored:
        features = self.builder.features(vacancies, resumes, cosine)
        scores = self.model.score(features)
        return Scored(scores, scores >= self.model.threshold, features)

    def explain(
        self, features: np.ndarray, vacancies: Sequence[Posting], resumes: Sequence[Posting]
    ) -> list[list[dict[str, Any]]]:
        """The reasons of the pairs whose feature rows are ``features``."""
        return [word(s, v, r) for s, v, r in zip(self.strongest(features), vacancies, resumes, strict=True)]

    def strongest(self, features: np.ndarray) -> list[np.ndarray]:
        """Per pair, what its reasons are worded from (:func:`careerrank.scoring.explanations.strongest`)."""
        contributions = self.model.contributions(features)
        return [strongest(contributions[i], features[i]) for i in range(len(features))]


def pair_cosines(vacancies: np.ndarray, resumes: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Row-wise cosines of stored (unit) vectors, in float64 then float32: a row gives the same bits whatever
    other rows are in the batch, so a pair scores the same whichever list or application brings it. In chunks of
    rows, so that the float64 copies stay small (a round of a full rescore holds a couple of hundred thousand)."""
    out = np.empty(len(vacancies), np.float32)
    for start in range(0, len(vacancies), chunk):
        products = vacancies[start : start + chunk].astype(np.float64)
        products *= resumes[start : start + chunk]
        out[start : start + chunk] = products.sum(axis=1)
    return out


def pair_cosine(vacancy: np.ndarray, resume: np.ndarray) -> float:
    """:func:`pair_cosines` of one pair."""
    return float(pair_cosines(vacancy[None, :], resume[None, :])[0])
