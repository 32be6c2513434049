"""Comparing two scoring models on the same decisions: the better model wins with an interval that excludes zero,
two identically trained models are called equal, and the intervals resample vacancies."""

from __future__ import annotations

import numpy as np
import pytest

from careerrank.encoding import build_encoder, parse_model_name
from careerrank.evaluation.scorer import SimulatedRun, prepare
from careerrank.scoring.comparison import Scored, compare
from careerrank.scoring.training import LabelledPairs, train
from careerrank.settings import ModelSettings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run() -> SimulatedRun:
    return prepare(build_encoder(parse_model_name("hashing-256"), ModelSettings()), seed=3, vacancies=900, resumes=800)


def _rows(pairs: LabelledPairs, mask: np.ndarray) -> LabelledPairs:
    return LabelledPairs(
        pairs.vacancy_ids[mask], pairs.recruiter_ids[mask], pairs.times[mask], pairs.features[mask], pairs.labels[mask]
    )


def _by_time(pairs: LabelledPairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks of the oldest 10% of vacancies, the older 70%, and the newest 30% (the fresh decisions)."""
    first: dict[str, float] = {}
    for vacancy, when in zip(pairs.vacancy_ids.tolist(), pairs.times.tolist(), strict=True):
        first[vacancy] = min(first.get(vacancy, when), when)
    ordered = sorted(first, key=lambda v: (first[v], v))
    cut, few = int(len(ordered) * 0.7), int(len(ordered) * 0.1)
    return tuple(np.isin(pairs.vacancy_ids, part) for part in (ordered[:few], ordered[:cut], ordered[cut:]))  # type: ignore[return-value]


def test_the_model_trained_on_more_decisions_wins_and_twins_are_equal(run: SimulatedRun) -> None:
    few, older, fresh = _by_time(run.pairs)
    text = run.builder.text_model
    small, _ = train(_rows(run.pairs, few), text, version="few", trained_on="10% of vacancies")
    large, _ = train(_rows(run.pairs, older), text, version="more", trained_on="70% of vacancies")
    twin, _ = train(_rows(run.pairs, older), text, version="twin", trained_on="70% of vacancies")
    x, y, groups = run.pairs.features[fresh], run.pairs.labels[fresh], run.pairs.vacancy_ids[fresh].tolist()
    scored = {m.version: Scored(m.version, m.score(x), m.threshold) for m in (small, large, twin)}

    report = compare(y, groups, scored["few"], scored["more"], boots=300)
    assert report["verdict"] == "challenger"
    low, high = report["difference"]["roc_auc"]["interval"]
    assert 0 < low <= report["difference"]["roc_auc"]["value"] <= high
    assert report["vacancies"] == len(set(groups)) and report["decisions"] == len(y)
    for role in ("champion", "challenger"):
        roc = report[role]["roc_auc"]
        assert roc["interval"][0] <= roc["value"] <= roc["interval"][1]
        assert 0 < report[role]["at_threshold"]["share_flagged"] < 1
    assert 0 < report["lists"]["top_10_changed"] <= report["lists"]["vacancies"]

    # The other way round, the champion wins; trained identically, nobody does.
    assert compare(y, groups, scored["more"], scored["few"], boots=300)["verdict"] == "champion"
    equal = compare(y, groups, scored["more"], scored["twin"], boots=300)
    assert equal["verdict"] == "equal" and equal["lists"]["top_10_changed"] == 0
    assert equal["difference"]["roc_auc"] == {"value": 0.0, "interval": [0.0, 0.0]}


def test_intervals_resample_vacancies_not_rows() -> None:
    # Forty vacancies whose decisions go all one way and whose scores share a vacancy's offset: rows are not
    # independent, and a vacancy bootstrap is wider than a row bootstrap that takes 4,000 rows for 4,000 draws.
    rng = np.random.default_rng(0)
    vacancy_invites = rng.random(40) < 0.5
    groups = [f"v{i // 100}" for i in range(4000)]
    labels = np.repeat(vacancy_invites, 100).astype(np.int8)
    offsets = np.repeat(rng.normal(0, 0.2, 40), 100)
    scores = np.clip(0.4 + labels * 0.2 + offsets + rng.normal(0, 0.05, 4000), 0, 1).astype(np.float32)
    model = Scored("m", scores, 0.5)
    by_vacancy = compare(labels, groups, model, model, boots=300)["champion"]["roc_auc"]["interval"]
    by_row = compare(labels, [str(i) for i in range(4000)], model, model, boots=300)["champion"]["roc_auc"]["interval"]
    assert by_vacancy[1] - by_vacancy[0] > 1.5 * (by_row[1] - by_row[0])
