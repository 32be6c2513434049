"""The learned scorer on the hand-judged SuperJob pairs (``datasets/judgments``), against the cosine alone.

- Every judged pair is a row (label: grade ≥ 1) of the scorer's pair features, the vacancy on the vacancy side.
  A group is a query (direction, id); each direction's queries are dealt to ``folds`` folds by a seeded hash.
- Sampled negatives: for each judged query, :data:`careerrank.scoring.sampled_negatives.PER_ITEM` postings of the
  other kind and another occupation family, from outside its cosine top ``candidates`` and never judged with it
  (training rows only).
- Cross-validation as production training does it (:mod:`careerrank.evaluation.judged_training`): each fold's
  model is calibrated and its threshold chosen on another fold; out-of-fold scores give ROC-AUC, PR-AUC, Brier.
- Learned lists (:mod:`careerrank.evaluation.judged_lists`): each judged query's exact cosine top-``candidates``
  among all postings of the other kind, re-ranked by the model of the fold that held that query out, its top ten
  shown with the suitable flag.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from careerrank.encoding import embedding_text, load_encoder
from careerrank.evaluation.datasets import superjob
from careerrank.evaluation.judged_lists import DirectionLists, QueryCandidates, rank_direction
from careerrank.evaluation.judged_training import CrossValidated, Group, Rows, cross_validate
from careerrank.evaluation.metrics import top_k
from careerrank.ingest import JUDGMENTS_DIR
from careerrank.ingest.judgments import read_grades
from careerrank.scoring.occupations import occupations_held
from careerrank.scoring.pair_scorer import FeatureBuilder
from careerrank.scoring.postings import Posting
from careerrank.scoring.sampled_negatives import PER_ITEM, WEIGHT, draw
from careerrank.scoring.texts import TextModel
from careerrank.settings import ModelSettings

DIRECTIONS = {"vacancy_to_resume": "cvs_for_vacancy", "resume_to_vacancy": "vacancies_for_cv"}
MAX_CHARS = 2000  # the quality table's "careful text" setup and the pipeline's default


@dataclass(frozen=True, slots=True)
class JudgedPair:
    direction: str
    query: str
    candidate: str
    grade: int

    @property
    def group(self) -> Group:
        return (self.direction, self.query)

    @property
    def key(self) -> tuple[str, str]:
        """(vacancy id, resume id), whichever side was the query."""
        return (self.query, self.candidate) if self.direction == "vacancy_to_resume" else (self.candidate, self.query)


def read_judgments(path: Path = JUDGMENTS_DIR) -> list[JudgedPair]:
    """Every judged pair (a later line wins), sorted."""
    return [JudgedPair(d, q, c, g) for (d, q, c), g in sorted(read_grades(path).items())]


def query_folds(groups: Sequence[Group], folds: int, seed: int = 0) -> dict[Group, int]:
    """Each direction's queries, ordered by a seeded hash, dealt round-robin: balanced and deterministic."""
    out: dict[Group, int] = {}
    for direction in sorted({d for d, _ in groups}):
        ordered = sorted(
            {g for g in groups if g[0] == direction}, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).digest()
        )
        out.update({group: i % folds for i, group in enumerate(ordered)})
    return out


@dataclass(frozen=True, slots=True)
class JudgedRun:
    encoder: str
    pairs: list[JudgedPair]
    judged: Rows
    sampled: Rows
    folds: dict[Group, int]
    cv: CrossValidated
    without_sampled: CrossValidated  # the same folds trained on the judged pairs alone
    queries: dict[str, list[QueryCandidates]]  # direction -> each judged query's cosine top candidates
    lists: dict[str, DirectionLists]  # direction -> the learned lists
    lists_without_sampled: dict[str, DirectionLists]
    seconds: dict[str, float]
    candidates: int
    seed: int
    # direction -> the cosine rank (1 = best, among every posting of the other kind) of each judged relevant pair
    relevant_ranks: dict[str, list[int]]

    @property
    def features(self) -> np.ndarray:
        return self.judged.features

    @property
    def labels(self) -> np.ndarray:
        return self.judged.labels


def run_judged(
    model: str = "use-multilingual", folds: int = 5, candidates: int = 100, seed: int = 0, negatives: int = PER_ITEM
) -> JudgedRun:
    """Encode the sample, build the pairs' features, cross-validate, and rank each query's candidates."""
    clock = [time.perf_counter()]
    data, pairs = superjob(), read_judgments()
    encoder = load_encoder(ModelSettings(name=model))  # 256 tokens, as the table
    events = {"vacancy": data.vacancies, "resume": data.resumes}
    ids = {kind: [e.id for e in side] for kind, side in events.items()}
    at = {kind: {id_: i for i, id_ in enumerate(side)} for kind, side in ids.items()}
    postings = {kind: [Posting.from_event(e) for e in side] for kind, side in events.items()}
    vectors = {kind: encoder.encode([embedding_text(e, MAX_CHARS)[0] for e in side]) for kind, side in events.items()}
    clock.append(time.perf_counter())
    builder = FeatureBuilder(TextModel.fit([*postings["vacancy"], *postings["resume"]]))

    def rows(keys: Sequence[tuple[str, str]]) -> np.ndarray:
        v_rows, r_rows = [at["vacancy"][v] for v, _ in keys], [at["resume"][r] for _, r in keys]
        cosine = np.einsum("ij,ij->i", vectors["vacancy"][v_rows], vectors["resume"][r_rows]).astype(np.float32)
        return builder.features(
            [postings["vacancy"][i] for i in v_rows], [postings["resume"][i] for i in r_rows], cosine
        )

    judged_keys = [p.key for p in pairs]
    labels = np.array([int(p.grade >= 1) for p in pairs], np.int8)
    judged = Rows(rows(judged_keys), labels, [p.group for p in pairs], judged_keys, np.ones(len(pairs), np.float32))
    judged_with: dict[Group, set[str]] = defaultdict(set)  # also keyed by the candidate, as if it were the query
    relevant: dict[Group, list[str]] = defaultdict(list)
    mirror = {"vacancy_to_resume": "resume_to_vacancy", "resume_to_vacancy": "vacancy_to_resume"}
    for p in pairs:
        judged_with[p.group].add(p.candidate)
        judged_with[(mirror[p.direction], p.candidate)].add(p.query)
        if p.grade >= 1:
            relevant[p.group].append(p.candidate)
    occupations = {p.id: occupations_held(p) for side in postings.values() for p in side}
    queries: dict[str, list[QueryCandidates]] = {}
    relevant_ranks: dict[str, list[int]] = defaultdict(list)
    sampled_groups: list[Group] = []
    sampled_keys: list[tuple[str, str]] = []
    for direction in DIRECTIONS:
        side, other = ("vacancy", "resume") if direction == "vacancy_to_resume" else ("resume", "vacancy")
        queries[direction] = []
        excluded: dict[str, set[str]] = {}
        for query in data.v_queries if side == "vacancy" else data.r_queries:
            every = vectors[other] @ vectors[side][at[side][query]]
            order = top_k(every[None, :], candidates)[0]
            for candidate in relevant[(direction, query)]:  # where the cosine put each relevant pair
                relevant_ranks[direction].append(int((every > every[at[other][candidate]]).sum()) + 1)
            found = [ids[other][j] for j in order]
            keys = [(query, c) if side == "vacancy" else (c, query) for c in found]
            queries[direction].append(QueryCandidates((direction, query), found, rows(keys)))
            # never one of the query's candidates, nor a pair judged in either direction
            excluded[query] = set(found) | judged_with[(direction, query)]
        decided = {q: len(judged_with[(direction, q)]) for q in excluded}
        for query, candidate in draw(list(excluded), ids[other], excluded, negatives, seed, occupations, decided):
            sampled_groups.append((direction, query))
            sampled_keys.append((query, candidate) if side == "vacancy" else (candidate, query))
    sampled = Rows(
        rows(sampled_keys),
        np.zeros(len(sampled_keys), np.int8),
        sampled_groups,
        sampled_keys,
        np.full(len(sampled_keys), WEIGHT, np.float32),
    )
    clock.append(time.perf_counter())
    fold_map = query_folds([p.group for p in pairs], folds, seed)
    cv = cross_validate(judged, fold_map, sampled)
    without = cross_validate(judged, fold_map)
    clock.append(time.perf_counter())
    graders = {"vacancy_to_resume": data.v2r, "resume_to_vacancy": data.r2v}
    ideals = {"vacancy_to_resume": data.v_ideal or {}, "resume_to_vacancy": data.r_ideal or {}}

    def ranked(model_cv: CrossValidated) -> dict[str, DirectionLists]:
        return {d: rank_direction(queries[d], model_cv, fold_map, graders[d], ideals[d]) for d in DIRECTIONS}

    lists, lists_without = ranked(cv), ranked(without)
    clock.append(time.perf_counter())
    steps = ("encode", "features", "cross_validation", "lists")
    seconds = {step: clock[i + 1] - clock[i] for i, step in enumerate(steps)} | {"total": clock[-1] - clock[0]}
    return JudgedRun(
        encoder.name,
        pairs,
        judged,
        sampled,
        fold_map,
        cv,
        without,
        queries,
        lists,
        lists_without,
        seconds,
        candidates,
        seed,
        dict(relevant_ranks),
    )
