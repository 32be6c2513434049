"""The ranking's memory of lists between rounds: a changed list ranked from memory is the list ranked from scratch.

In memory (no PostgreSQL): postings and vectors are put where the ranking's cache keeps them, and the candidate
lists are given as a round reads them. The real services' version of this is tests/integration/test_ranked_lists.py.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from careerrank.encoding import build_encoder, parse_model_name
from careerrank.evaluation.scorer import prepare, train_on
from careerrank.scoring.list_ranking import ListRanking
from careerrank.scoring.list_tops import best_positions
from careerrank.scoring.pair_scorer import PairScorer
from careerrank.scoring.postings import Posting
from careerrank.scoring.scored_lists import ScoredList, ScoredLists
from careerrank.settings import ModelSettings
from careerrank.storage.ranked_lists import CandidateList, RankedList

pytestmark = pytest.mark.slow

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    run = prepare(build_encoder(parse_model_name("hashing-256"), ModelSettings()), seed=3, vacancies=300, resumes=260)
    model, _ = train_on(run)
    return {"run": run, "scorer": PairScorer(model)}


def ranking_over(world: dict[str, Any], remembered: int = 1000) -> ListRanking:
    ranking = ListRanking(None, SimpleNamespace(embedding_model="hashing-256"), 10, remembered)  # type: ignore[arg-type]
    run = world["run"]
    for (kind, item_id), posting in run.postings.items():
        ranking._held.postings[kind][item_id] = posting
        ranking._held.vectors[kind][item_id] = run.vectors[(kind, item_id)]
    return ranking


def lists_of(world: dict[str, Any], seed: int) -> dict[tuple[str, str], list[str]]:
    rng = random.Random(seed)
    vacancies = sorted(i for k, i in world["run"].postings if k == "vacancy")
    resumes = sorted(i for k, i in world["run"].postings if k == "resume")
    out = {("vacancy_to_resume", v): rng.sample(resumes, 40) for v in vacancies[:60]}
    out |= {("resume_to_vacancy", r): rng.sample(vacancies, 40) for r in resumes[:60]}
    return out


def rank(
    ranking: ListRanking,
    scorer: PairScorer,
    lists: dict[tuple[str, str], list[str]],
    stored: dict[tuple[str, str], RankedList],
) -> tuple[list[RankedList], int]:
    candidates = [
        CandidateList(
            d, s, targets, [0.0] * len(targets), NOW,  # type: ignore[arg-type]
            (stored[(d, s)].model_version, stored[(d, s)].target_ids, stored[(d, s)].scores)
            if (d, s) in stored else None,
        )
        for (d, s), targets in lists.items()
    ]  # fmt: skip
    written, unchanged = ranking._rank_with(scorer, candidates)
    stored.update({(r.direction, r.source_id): r for r in written})
    return written, unchanged


def test_a_changed_list_ranked_from_memory_is_the_list_ranked_from_scratch(world: dict[str, Any]) -> None:
    scorer, run = world["scorer"], world["run"]
    remembering = ranking_over(world)
    lists = lists_of(world, 0)
    stored: dict[tuple[str, str], RankedList] = {}
    first, unchanged = rank(remembering, scorer, lists, stored)
    assert len(first) == len(lists) and unchanged == 0

    # Each list changes: a target enters (the last one leaves), and some candidates' postings move on.
    rng = random.Random(1)
    for (direction, _), targets in lists.items():
        kind = "resume" if direction == "vacancy_to_resume" else "vacancy"
        pool = sorted(i for k, i in run.postings if k == kind and i not in targets)
        targets.insert(rng.randrange(len(targets)), rng.choice(pool))
        targets.pop()
    moved = sorted(run.postings)[::7]
    for key in moved:
        posting = remembering._held.postings[key[0]][key[1]]
        later = posting.version + timedelta(days=1)
        remembering._held.postings[key[0]][key[1]] = replace(
            posting, version=later, salary_from=1 + (posting.salary_from or 0)
        )
    _, unchanged = rank(remembering, scorer, lists, stored)
    assert 0 < unchanged < len(lists), "some shown rows stay as they were, some change"

    scratch = ranking_over(world)
    scratch._held.postings = remembering._held.postings
    fresh: dict[tuple[str, str], RankedList] = {}
    rank(scratch, scorer, lists, fresh)
    # Every list as stored after both rounds (written now, or kept from the first) is the one ranked from scratch.
    assert stored.keys() == fresh.keys()
    for key, expected in fresh.items():
        got = stored[key]
        assert (got.target_ids, got.scores, got.suitable, got.explanations) == (
            expected.target_ids,
            expected.scores,
            expected.suitable,
            expected.explanations,
        ), key


def test_a_list_forgotten_or_stored_otherwise_is_written_again(world: dict[str, Any]) -> None:
    scorer = world["scorer"]
    lists = lists_of(world, 2)
    stored: dict[tuple[str, str], RankedList] = {}
    small = ranking_over(world, remembered=10)
    rank(small, scorer, lists, stored)
    assert len(small._remembered) == 10  # the last ten lists of the round
    written, unchanged = rank(small, scorer, lists, stored)
    assert unchanged == 10 and len(written) == len(lists) - 10

    # Another ranking stored since (another scorer process wrote it): remembered, but written again.
    key = next(iter(small._remembered._lists))
    stored[key] = replace(stored[key], scores=[0.0] * len(stored[key].scores))
    written, _ = rank(small, scorer, {key: lists[key]}, stored)
    assert [(r.direction, r.source_id) for r in written] == [key]


def test_remembered_lists_are_recalled_only_under_their_model_and_source_version() -> None:
    lists = ScoredLists(capacity=2)
    held = ScoredList("m1", NOW, (), np.zeros(0, np.float32), np.zeros(0, np.float32), (), ())
    lists.keep(("vacancy_to_resume", "v1"), held)
    assert lists.recall(("vacancy_to_resume", "v1"), "m1", NOW) is held
    assert lists.recall(("vacancy_to_resume", "v1"), "m2", NOW) is None
    assert lists.recall(("vacancy_to_resume", "v1"), "m1", NOW + timedelta(seconds=1)) is None
    lists.keep(("vacancy_to_resume", "v2"), held)
    lists.keep(("resume_to_vacancy", "r1"), held)
    lists.recall(("vacancy_to_resume", "v1"), "m1", NOW)  # a recall does not count as use: keeping does
    lists.trim()
    assert len(lists) == 2 and lists.recall(("vacancy_to_resume", "v1"), "m1", NOW) is None
    lists.forget([("vacancy_to_resume", "v2")])
    assert len(lists) == 1


def test_the_best_rows_break_ties_by_cosine_then_id() -> None:
    targets = [Posting("resume", f"r{i}", NOW, "t", "b") for i in range(6)]
    scores = np.array([0.5, 0.9, 0.5, 0.7, 0.5, 0.1], np.float32)
    cosines = np.array([0.2, 0.1, 0.3, 0.1, 0.3, 0.9], np.float32)
    assert best_positions(scores, cosines, targets, 4) == [1, 3, 2, 4]  # r2 and r4 tie on both: by id
    assert best_positions(np.array([0.3, 0.2, 0.1], np.float32), cosines[:3], targets[:3], 2) == [0, 1]
