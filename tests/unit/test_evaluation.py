"""The evaluation harness: metrics on hand-computed cases, the prototype's text, the hybrid encoder."""

from __future__ import annotations

import math

import numpy as np
import pytest

from careerrank.encoding import HashingEncoder, load_encoder, model_id
from careerrank.evaluation.metrics import evaluate_direction, top_k
from careerrank.evaluation.setups import prototype_text
from careerrank.settings import ModelSettings
from schemas import VacancyUpserted


def test_precision_ndcg_recall_on_a_hand_computed_case() -> None:
    grades = {("q", "a"): 2, ("q", "b"): 0, ("q", "c"): 1, ("q", "d"): 2}
    ranked = [["a", "b", "c", "x"]]  # x is unjudged: counts as not relevant
    scores = evaluate_direction(
        ranked, ["q"], lambda q, c: grades.get((q, c)), relevant_counts=[3], ideal_grades=[[2, 2, 1, 0]]
    )
    assert scores.precision_at_10 == pytest.approx(2 / 10)
    dcg = 3 / math.log2(2) + 0 + 1 / math.log2(4)
    idcg = 3 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert scores.ndcg_at_10 == pytest.approx(dcg / idcg)
    assert scores.recall_at_100 == pytest.approx(2 / 3)
    assert scores.judged_at_10 == pytest.approx(3 / 4)


def test_top_k_orders_best_first() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.7]], dtype=np.float32)
    assert top_k(scores, 3).tolist() == [[1, 3, 2]]


def test_prototype_text_turns_empty_cells_into_nan() -> None:
    event = VacancyUpserted(event_id="e", occurred_at="2026-01-01T00:00:00Z", id="v", title="Повар", text="")
    assert prototype_text(event) == "Повар nan"


def test_composite_encoder_scores_are_the_weighted_sum_of_cosines() -> None:
    texts = ["python разработчик django", "backend developer python", "повар кондитер", "водитель категории C"]
    a, b = HashingEncoder(64), HashingEncoder(256, ngram=4)
    composite = load_encoder(ModelSettings(name="hashing-64@0.7+hashing-256@0.3"))
    assert composite.dim == 64 + 256
    # hashing-256 in the composite uses the default n-gram 3; compare against exactly that
    b = HashingEncoder(256)
    expected = 0.7 * (a.encode(texts) @ a.encode(texts).T) + 0.3 * (b.encode(texts) @ b.encode(texts).T)
    v = composite.encode(texts)
    np.testing.assert_allclose(v @ v.T, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert model_id("hashing-64@7+hashing-256@3") == "hashing-64@0.7+hashing-256@0.3"


def test_the_pipeline_default_is_marked_and_compared_with_every_prototype_row() -> None:
    from careerrank import evaluation as quality
    from careerrank.encoding import DEFAULT_MODEL_ID

    names = [s.name for s in quality.standard_setups(["all-MiniLM-L6-v2", DEFAULT_MODEL_ID])]
    marked = [n for n in names if n.endswith(quality.PIPELINE_DEFAULT)]
    assert marked == [f"careful text ({DEFAULT_MODEL_ID}) {quality.PIPELINE_DEFAULT}"]

    def row(setup: str, v2r: float, r2v: float) -> quality.Row:
        return quality.Row(setup, "m", 10, v2r, r2v, 0, 0, 0, None, None, 1, 0, 0, 0, "")

    rows = [row("prototype method (a)", 0.4, 0.6), row(marked[0], 0.55, 0.8), row("prototype method (b)", 0.5, 0.75)]
    assert quality.gains_over_prototype(rows) == [
        {"baseline": "prototype method (a)", "cvs_for_vacancy": 0.15, "vacancies_for_cv": 0.2},
        {"baseline": "prototype method (b)", "cvs_for_vacancy": 0.05, "vacancies_for_cv": 0.05},
    ]
    assert quality.gains_over_prototype(rows[:1]) == []
