"""The pair features, in one registry: name, group, version and a one-line meaning of each.

SuperJob's scorer computed about 170 pair features of a vacancy and a resume; these are the ones the events
carry the facts for. NaN means "not stated" (gradient boosting learns where missing values go). Age, gender
and their proxies (the year an education ended, years since graduation) are never features:
``tests/unit/test_features.py`` checks the registry and that changing them changes no value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import scipy.sparse as sp

from careerrank.scoring.occupations import occupation_columns
from careerrank.scoring.postings import Posting, Traits
from careerrank.scoring.seniority import seniority_columns
from careerrank.scoring.structured_features import structured
from careerrank.scoring.texts import FIELDS, PostingTexts, TextModel, pair_dots

FEATURE_VERSION = 2


Direction = Literal[1, -1, 0]
UP: Final = 1  # more of it never lowers the score (more similar, more skills covered, the requirement met)
DOWN: Final = -1  # more of it never raises the score (skills missing, asking above the range)
FREE: Final = 0  # no direction known: the model learns it


@dataclass(frozen=True, slots=True)
class Feature:
    """``direction``: the way the feature may move a score, enforced in training (monotone constraints), so
    that a model fitted to a few thousand decisions cannot learn, say, that skills far from the
    requirements raise a score."""

    name: str
    group: str
    version: int
    meaning: str
    direction: Direction


def _f(name: str, group: str, meaning: str, direction: Direction = FREE, version: int = 1) -> Feature:
    return Feature(name, group, version, meaning, direction)


FEATURES: tuple[Feature, ...] = (
    _f("cosine", "embedding", "cosine of the two postings' sentence embeddings", UP),
    _f("title_vs_title", "text", "TF-IDF cosine of the vacancy title and the position sought", UP),
    _f("title_vs_past_positions", "text", "TF-IDF cosine of the vacancy title and all past positions", UP),
    _f("title_vs_last_position", "text", "TF-IDF cosine of the vacancy title and the last position held", UP),
    _f("title_vs_resume_text", "text", "TF-IDF cosine of the vacancy title and the resume's text", UP),
    _f("sought_vs_past_positions", "text", "TF-IDF cosine of the position sought and the positions held", UP),
    _f("requirements_vs_skills", "text", "TF-IDF cosine of the vacancy's requirements and the resume's skills", UP),
    _f("skills_vs_skills", "text", "TF-IDF cosine of the two skill lists", UP),
    _f("requirements_vs_resume_text", "text", "TF-IDF cosine of the requirements and the resume's text", UP),
    _f("duties_vs_past_duties", "text", "TF-IDF cosine of the vacancy's duties and the duties of past jobs", UP),
    _f("duties_vs_resume_text", "text", "TF-IDF cosine of the vacancy's text and the resume's text", UP),
    _f(
        "occupation_sought_fit",
        "occupation",
        "the vacancy's occupation against the positions sought: 2 same, 1 adjacent, 0 another",
        UP,
        2,
    ),
    _f("occupation_held_fit", "occupation", "the vacancy's occupation against the positions held", UP, 2),
    _f("occupation_any_fit", "occupation", "the closest any occupation of the title comes to one sought", UP, 2),
    _f(
        "seniority_gap",
        "occupation",
        "the vacancy's seniority level minus the one sought (0 junior .. 4 director)",
        FREE,
        2,
    ),
    _f(
        "seniority_mismatch",
        "occupation",
        "how many seniority levels apart the post and the position sought are",
        DOWN,
        2,
    ),
    _f("skills_matched_share", "skills", "share of the vacancy's listed skills the resume lists", UP),
    _f("skills_matched", "skills", "how many of the vacancy's listed skills the resume lists", UP),
    _f("skills_missing", "skills", "how many of the vacancy's listed skills the resume lacks", DOWN),
    _f("vacancy_skills", "skills", "how many skills the vacancy lists"),
    _f("resume_skills", "skills", "how many skills the resume lists"),
    _f("salary_same_currency", "salary", "both salaries are in one currency (else compared in roubles)"),
    _f("salary_vacancy_missing", "salary", "the vacancy states no salary"),
    _f("salary_resume_missing", "salary", "the resume states no desired salary"),
    _f("salary_inside_range", "salary", "the desired salary is inside the vacancy's range", UP),
    _f("salary_above_top", "salary", "relative gap of the desired salary above the range's top (0 if not)", DOWN),
    _f("salary_below_bottom", "salary", "relative gap of the desired salary below the range's bottom (0 if not)"),
    _f("salary_log_ratio", "salary", "log of the desired salary over the middle of the vacancy's range"),
    _f("experience_required", "experience", "years of experience the vacancy asks for"),
    _f("experience_actual", "experience", "years of experience the resume states"),
    _f("experience_gap", "experience", "actual minus required years"),
    _f("experience_met", "experience", "the resume has the years asked for", UP),
    _f("experience_far_above", "experience", "five or more years above what is asked (overqualified)"),
    _f("months_at_last_job", "history", "months at the current or last job"),
    _f("average_tenure", "history", "average months per job in the work history"),
    _f("jobs", "history", "jobs in the work history"),
    _f("employed_now", "history", "the candidate works somewhere now"),
    _f("months_out_of_work", "history", "months since the last job ended (0 when employed)"),
    _f("position_is_new", "history", "the position sought is unlike every position held", DOWN),
    _f("same_city", "location", "the vacancy and the resume name one city", UP),
    _f("city_missing", "location", "either side names no city"),
    _f("vacancy_remote", "location", "the vacancy can be done remotely"),
    _f("resume_remote", "location", "the candidate wants or accepts remote work"),
    _f("relocation_ready", "location", "the candidate is ready to move"),
    _f("location_fit", "location", "same city, remote on both sides, or ready to move", UP),
    _f("same_language", "language", "both postings are written in one language"),
    _f("languages_required", "language", "languages the vacancy requires"),
    _f("languages_met_share", "language", "share of required languages the resume has at the level asked", UP),
    _f("english_gap", "language", "levels of English asked minus levels stated (0 when met)", DOWN),
    _f("education_required", "education", "education level the vacancy asks for (ordinal)"),
    _f("education_level", "education", "highest education level of the resume (ordinal)"),
    _f("education_met", "education", "the resume's level meets the requirement", UP),
    _f("employment_fit", "conditions", "the employment types overlap (NaN when either states none)", UP),
    _f("schedule_fit", "conditions", "the schedules overlap (NaN when either states none)", UP),
    _f("resume_completeness", "completeness", "share of the resume's fields that are filled in"),
    _f("vacancy_completeness", "completeness", "share of the vacancy's fields that are filled in"),
    _f("resume_text_length", "completeness", "log of the resume's text length"),
    _f("vacancy_text_length", "completeness", "log of the vacancy's text length"),
)
NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
# xgboost's monotone_constraints, one per column
MONOTONE: tuple[int, ...] = tuple(f.direction for f in FEATURES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a batch of pairs: the postings, their traits and their vectorised texts, aligned."""

    postings: Sequence[Posting]
    traits: Sequence[Traits]
    texts: Sequence[PostingTexts]


def pair_features(text_model: TextModel, vacancies: Side, resumes: Side, cosine: np.ndarray) -> np.ndarray:
    """The feature matrix of pairs ``(vacancies[i], resumes[i])``: float32, one column per :data:`FEATURES`."""
    n = len(cosine)
    out = np.full((n, len(FEATURES)), np.nan, np.float32)
    out[:, INDEX["cosine"]] = cosine
    if n:
        texts = _PairTexts(text_model, vacancies, resumes)
        for name, v_field, r_field in _TEXT_PAIRS:
            out[:, INDEX[name]] = texts.dots(v_field, r_field)
        out[:, INDEX["sought_vs_past_positions"]] = pair_dots(
            texts.matrix("resume", "title"), texts.matrix("resume", "past_positions")
        )
        titled = np.stack([t.occupations for t in vacancies.traits])
        wanted = np.stack([t.occupations for t in resumes.traits])
        for name, column in occupation_columns(titled, wanted).items():
            out[:, INDEX[name]] = column
        levels = seniority_columns([t.seniority for t in vacancies.traits], [t.seniority for t in resumes.traits])
        for name, column in levels.items():
            out[:, INDEX[name]] = column
        for name, column in structured(
            vacancies.traits, resumes.traits, out[:, INDEX["sought_vs_past_positions"]]
        ).items():
            out[:, INDEX[name]] = column
    return out


# feature -> (vacancy field, resume field), each a TF-IDF row of the same group (careerrank.scoring.texts)
_TEXT_PAIRS = (
    ("title_vs_title", "title", "title"),
    ("title_vs_past_positions", "title", "past_positions"),
    ("title_vs_last_position", "title", "last_position"),
    ("title_vs_resume_text", "title", "text_as_titles"),
    ("requirements_vs_skills", "requirements", "skills"),
    ("skills_vs_skills", "skills", "skills"),
    ("requirements_vs_resume_text", "requirements", "requirements"),
    ("duties_vs_past_duties", "body", "past_duties"),
    ("duties_vs_resume_text", "body", "body"),
)


class _PairTexts:
    """The stacked TF-IDF rows of one batch of pairs, built once per side and field.

    Scoring the candidates of one item puts that item on every row of its side: it is then one dense row,
    and each feature one sparse matrix-vector product instead of an element-wise product of two matrices.
    """

    def __init__(self, text_model: TextModel, vacancies: Side, resumes: Side) -> None:
        self._model = text_model
        self._sides = {"vacancy": vacancies.texts, "resume": resumes.texts}
        self._single = {
            kind: texts[0] if all(t is texts[0] for t in texts) else None for kind, texts in self._sides.items()
        }
        self._matrices: dict[tuple[str, str], sp.csr_matrix] = {}
        self._flat: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def matrix(self, kind: str, field: str) -> sp.csr_matrix:
        key = (kind, field)
        if key not in self._matrices:
            self._matrices[key] = self._model.matrix(self._sides[kind], field)
        return self._matrices[key]

    def flat(self, kind: str, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every row's (term indices, weights, row number), concatenated: no sparse matrix to validate."""
        key = (kind, field)
        if key not in self._flat:
            rows = [t.rows[field] for t in self._sides[kind]]
            lengths = np.fromiter((len(i) for i, _ in rows), np.int64, len(rows))
            self._flat[key] = (
                np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int32),
                np.concatenate([w for _, w in rows]) if rows else np.zeros(0, np.float32),
                np.repeat(np.arange(len(rows)), lengths),
            )
        return self._flat[key]

    def dots(self, v_field: str, r_field: str) -> np.ndarray:
        for kind, field, other, other_field in (
            ("vacancy", v_field, "resume", r_field),
            ("resume", r_field, "vacancy", v_field),
        ):
            single = self._single[kind]
            if single is not None:
                indices, weights = single.rows[field]
                dense = np.zeros(len(self._model.vectorizers[FIELDS[field][0]]), np.float64)
                dense[indices] = weights
                other_indices, other_weights, row = self.flat(other, other_field)
                # Terms absent from the single row add exact zeros, so the sums equal pair_dots' bit for bit.
                products = dense[other_indices] * other_weights.astype(np.float64)
                return np.bincount(row, products, len(self._sides[other])).astype(np.float32)
        return pair_dots(self.matrix("vacancy", v_field), self.matrix("resume", r_field))
