"""The learned scorer on the hand-judged SuperJob pairs: the report's shape and ranges, and the split behind it
(every pair predicted once, by a model that never saw its query nor the pair judged the other way)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from careerrank.evaluation.judged_report import evaluate_judged, summarise
from careerrank.evaluation.judged_scoring import DIRECTIONS, JudgedRun, query_folds, run_judged
from careerrank.ingest import JUDGMENTS_DIR

pytestmark = pytest.mark.slow
FOLDS = 3


@pytest.fixture(scope="module")
def run() -> JudgedRun:
    return run_judged("hashing-2048", folds=FOLDS)


@pytest.fixture(scope="module")
def report(run: JudgedRun) -> dict[str, Any]:
    return summarise(run)


def judgments() -> dict[tuple[str, str, str], int]:
    """The judgment files read independently of the module under test."""
    out: dict[tuple[str, str, str], int] = {}
    for path in sorted(JUDGMENTS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                j = json.loads(line)
                out[(j["direction"], j["query"], j["candidate"])] = j["grade"]
    return out


def test_counts_are_the_judgments(report: dict[str, Any]) -> None:
    judged = judgments()
    counts = report["counts"]
    assert counts["pairs"] == len(judged) > 2000
    assert counts["positives"] == sum(1 for g in judged.values() if g >= 1)
    assert counts["queries"] == len({(d, q) for d, q, _ in judged})
    assert counts["folds"] == FOLDS
    out_of_fold = report["out_of_fold"]
    assert out_of_fold["all"]["pairs"] == len(judged)
    for direction, name in DIRECTIONS.items():
        assert out_of_fold[name]["pairs"] == sum(1 for d, _, _ in judged if d == direction)
        assert out_of_fold[name]["queries"] == len({q for d, q, _ in judged if d == direction})


def test_every_measure_is_in_range(report: dict[str, Any]) -> None:
    for part in report["out_of_fold"].values():
        for scorer in ("learned", "cosine"):
            for value in part[scorer].values():
                assert 0.0 <= value <= 1.0
    for name in DIRECTIONS.values():
        lists = dict(report["lists"][name])
        flag = lists.pop("suitable_flag")
        assert 0 < lists.pop("ceiling_precision_at_10") <= 1
        assert set(lists) == {"cosine", "learned", "cosine_judged_only", "learned_judged_only"}
        assert flag["shown_rows"] == 10 * flag["lists"] and flag["lists"] == report["out_of_fold"][name]["queries"]
        assert 0 <= flag["lists_without_suitable"] <= flag["lists"]
        assert all(0.0 <= flag[k] <= 1.0 for k in ("share_flagged", "precision", "recall"))
        for measures in lists.values():
            assert all(0.0 <= v <= 1.0 for v in measures.values()), measures
            assert measures["precision_at_10"] <= measures["precision_at_10_if_unjudged_relevant"]
        # condensed lists hold judged pairs only
        assert lists["learned_judged_only"]["judged_share_at_10"] == 1.0
    json.dumps(report)  # JSON-ready


def test_every_pair_is_predicted_once_out_of_fold(run: JudgedRun) -> None:
    assert run.cv.scores.shape == (len(run.pairs),)
    assert (run.cv.predicted == 1).all()
    assert not any(score != score for score in run.cv.scores.tolist())  # no NaN left
    assert ((run.cv.scores >= 0) & (run.cv.scores <= 1)).all()  # calibrated probabilities
    assert sorted(set(run.cv.fold_of.tolist())) == list(range(FOLDS))


def test_no_model_saw_the_queries_or_pairs_it_scores(run: JudgedRun) -> None:
    for fold, trained in enumerate(run.cv.trained):
        seen_groups = {p.group for p, t in zip(run.pairs, trained.tolist(), strict=True) if t}
        seen_keys = {p.key for p, t in zip(run.pairs, trained.tolist(), strict=True) if t}
        scored = [p for p, f in zip(run.pairs, run.cv.fold_of.tolist(), strict=True) if f == fold]
        assert scored
        assert not {p.group for p in scored} & seen_groups
        assert not {p.key for p in scored} & seen_keys  # a pair judged both ways is not learned from its mirror
        # the model learned from every other fold, less the mirrored pairs at most
        others = sum(1 for f in run.cv.fold_of.tolist() if f != fold)
        assert others - 50 <= int(trained.sum()) <= others
    # each query's list is re-ranked by the model of the fold that held the query out
    for group, fold in run.folds.items():
        assert not run.cv.trained[fold][[p.group == group for p in run.pairs]].any()


def test_folds_are_balanced_per_direction_and_seeded() -> None:
    groups = [(d, f"q{i}") for d in DIRECTIONS for i in range(30)] * 2
    folds = query_folds(groups, 4, seed=0)
    assert folds == query_folds(list(reversed(groups)), 4, seed=0)
    for direction in DIRECTIONS:
        sizes = [sum(1 for g, f in folds.items() if g[0] == direction and f == k) for k in range(4)]
        assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 30
    assert folds != query_folds(groups, 4, seed=1)


def test_pool_recall_counts_every_relevant_judged_pair_and_grows_with_depth(report: dict[str, Any]) -> None:
    judged = judgments()
    for direction, name in DIRECTIONS.items():
        recall = report["pool_recall"][name]
        assert recall["relevant_pairs"] == sum(1 for (d, _, _), g in judged.items() if d == direction and g >= 1)
        shares = [recall[f"at_{k}"] for k in (10, 50, 100, 200, 500)]
        assert shares == sorted(shares) and 0 < shares[0] <= shares[-1] <= 1
    # The judged pool came from top-10 lists of several methods: most relevant pairs sit high in the cosine order.
    assert report["pool_recall"]["cvs_for_vacancy"]["at_500"] > 0.5


def test_the_public_function_is_the_summary_of_a_run(report: dict[str, Any]) -> None:
    again = evaluate_judged("hashing-2048", folds=FOLDS)
    assert again["encoder"] == "hashing-2048"
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in report.items() if k != "seconds"}


def test_sampled_negatives_only_train_and_never_repeat_a_judged_or_listed_pair(run: JudgedRun) -> None:
    judged = set(run.judged.keys)
    assert len(run.sampled) > 0 and not run.sampled.labels.any()
    assert not judged & set(run.sampled.keys)
    listed = {q.group: set(q.candidates) for queries in run.queries.values() for q in queries}
    for (direction, query), (vacancy, resume) in zip(run.sampled.groups, run.sampled.keys, strict=True):
        assert (resume if direction == "vacancy_to_resume" else vacancy) not in listed[(direction, query)]


def test_the_flag_is_calibrated_and_thresholded_without_the_scored_fold(run: JudgedRun) -> None:
    for fold, validated in enumerate(run.cv.validated):
        scored = run.cv.fold_of == fold
        assert validated.any() and not (validated & scored).any()
        assert 0 <= run.cv.thresholds[fold] <= 1
