"""Pair features: the registry, what each family of features says about a pair, and what it never reads."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from careerrank.scoring.features import FEATURES, INDEX, NAMES
from careerrank.scoring.pair_scorer import FeatureBuilder
from careerrank.scoring.postings import Posting
from careerrank.scoring.texts import TextModel

T = datetime(2024, 6, 1, tzinfo=UTC)


def vacancy(**fields: Any) -> Posting:
    base: dict[str, Any] = {
        "kind": "vacancy",
        "id": "v1",
        "version": T,
        "title": "Python-разработчик",
        "body": "Разработка backend-сервисов на Python, Django, PostgreSQL. Требуется опыт от 3 лет.",
        "skills": ("Python", "Django", "PostgreSQL", "Docker"),
        "salary_from": 200_000,
        "salary_to": 300_000,
        "city": "Москва",
        "experience_years": 3.0,
        "language": "ru",
        "profile": {
            "required_education": "higher",
            "required_languages": [{"code": "en", "level": "technical"}],
            "employment": ["full"],
            "schedule": ["full_day", "remote"],
            "remote": False,
        },
    }
    base.update(fields)
    return Posting(**base)


def resume(**fields: Any) -> Posting:
    base: dict[str, Any] = {
        "kind": "resume",
        "id": "r1",
        "version": T,
        "title": "Python-разработчик",
        "body": "Разрабатывал backend-сервисы на Python и Django, писал запросы к PostgreSQL.",
        "skills": ("Python", "Django", "PostgreSQL"),
        "salary_from": 250_000,
        "salary_to": 250_000,
        "city": "Москва",
        "experience_years": 5.0,
        "language": "ru",
        "profile": {
            "work_history": [
                {"position": "Python-разработчик", "start": "2021-03", "end": None, "duties": "backend на Django"},
                {"position": "Стажёр-программист", "start": "2019-01", "end": "2021-02", "duties": "тесты"},
            ],
            "education": [{"level": "master", "year": 2018, "field": "Прикладная математика"}],
            "languages": [{"code": "en", "level": "fluent"}],
            "employment": ["full"],
            "schedule": ["remote"],
            "age": 29,
            "gender": "male",
        },
    }
    base.update(fields)
    return Posting(**base)


@pytest.fixture(scope="module")
def builder() -> FeatureBuilder:
    cook = resume(id="r2", title="Повар", body="Готовил горячие блюда в ресторане.", skills=("Кулинария",))
    return FeatureBuilder(TextModel.fit([vacancy(), resume(), cook, vacancy(id="v2", title="Повар-кондитер")]))


def row(builder: FeatureBuilder, v: Posting, r: Posting, cosine: float = 0.5) -> dict[str, float]:
    values = builder.features([v], [r], np.array([cosine], np.float32))[0]
    return dict(zip(NAMES, values.tolist(), strict=True))


def test_the_registry_is_complete_and_unique() -> None:
    assert len(FEATURES) >= 40
    assert len(set(NAMES)) == len(NAMES)
    assert all(f.meaning and f.group and f.version >= 1 for f in FEATURES)
    groups = {f.group for f in FEATURES}
    assert {"embedding", "text", "salary", "experience", "history", "location", "language", "education"} <= groups


def test_no_feature_is_about_age_gender_or_their_proxies() -> None:
    forbidden = ("age", "gender", "sex", "birth", "graduat", "born", "old")
    for feature in FEATURES:
        words = f"{feature.name} {feature.meaning}".lower().replace("_", " ").split()
        assert not any(w.startswith(f) for w in words for f in forbidden), feature


def test_age_gender_and_graduation_year_change_nothing(builder: FeatureBuilder) -> None:
    base = resume()
    profile = dict(base.profile)
    profile.update(age=61, gender="female", education=[{"level": "master", "year": 1985, "field": "Математика"}])
    other = replace(base, id="r-other", profile=profile)
    a, b = row(builder, vacancy(), base), row(builder, vacancy(), other)
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_a_fitting_pair_scores_as_fitting(builder: FeatureBuilder) -> None:
    f = row(builder, vacancy(), resume(), cosine=0.8)
    assert f["cosine"] == pytest.approx(0.8)
    assert f["title_vs_title"] == pytest.approx(1.0, abs=1e-5)
    assert f["title_vs_past_positions"] > 0.3
    assert f["skills_matched"] == 3 and f["skills_missing"] == 1
    assert f["skills_matched_share"] == pytest.approx(0.75)
    assert f["salary_inside_range"] == 1.0 and f["salary_above_top"] == 0.0
    assert f["experience_gap"] == pytest.approx(2.0) and f["experience_met"] == 1.0
    assert f["same_city"] == 1.0 and f["location_fit"] == 1.0
    assert f["languages_met_share"] == 1.0 and f["english_gap"] == 0.0
    assert f["education_met"] == 1.0
    assert f["employment_fit"] == 1.0 and f["schedule_fit"] == 1.0
    assert f["position_is_new"] == 0.0 and f["jobs"] == 2 and f["employed_now"] == 1.0
    # 2021-03 .. 2024-06 inclusive (the resume's own date ends an open period).
    assert f["months_at_last_job"] == 40
    assert f["average_tenure"] == pytest.approx((40 + 26) / 2)


def test_a_poor_pair_scores_as_poor(builder: FeatureBuilder) -> None:
    cook = resume(
        id="r-cook",
        title="Повар",
        body="Готовил горячие блюда в ресторане.",
        skills=("Кулинария",),
        salary_from=450_000,
        salary_to=450_000,
        city="Казань",
        experience_years=1.0,
        profile={"work_history": [{"position": "Повар", "start": "2023-01", "end": "2023-06"}]},
    )
    f = row(builder, vacancy(), cook, cosine=0.1)
    assert f["title_vs_title"] == 0.0 and f["title_vs_past_positions"] == 0.0
    assert f["skills_matched"] == 0 and f["skills_missing"] == 4
    assert f["salary_inside_range"] == 0.0 and f["salary_above_top"] == pytest.approx(0.5)
    assert f["experience_met"] == 0.0 and f["experience_gap"] == pytest.approx(-2.0)
    assert f["same_city"] == 0.0 and f["location_fit"] == 0.0
    assert f["languages_met_share"] == 0.0 and f["english_gap"] == 2.0
    assert f["education_met"] == 0.0
    assert f["months_out_of_work"] == 12  # 2023-06 ended; the resume is of 2024-06
    assert math.isnan(f["employment_fit"])  # the resume states none: unknown, not a mismatch


def test_salaries_in_other_currencies_are_compared_in_roubles(builder: FeatureBuilder) -> None:
    dollars = resume(id="r-usd", salary_from=3000, salary_to=3000, currency="USD")
    f = row(builder, vacancy(), dollars)
    assert f["salary_same_currency"] == 0.0
    assert f["salary_inside_range"] == 1.0  # 3,000 USD is 270,000 roubles by the table
    missing = row(builder, vacancy(id="v-no-salary", salary_from=None, salary_to=None), resume())
    assert missing["salary_vacancy_missing"] == 1.0 and math.isnan(missing["salary_inside_range"])


def test_features_of_a_batch_equal_features_one_by_one(builder: FeatureBuilder) -> None:
    pairs = [(vacancy(), resume()), (vacancy(id="v2", title="Повар-кондитер"), resume(id="r3", title="Повар"))]
    together = builder.features([p[0] for p in pairs], [p[1] for p in pairs], np.array([0.3, 0.6], np.float32))
    for i, (v, r) in enumerate(pairs):
        alone = builder.features([v], [r], np.array([[0.3, 0.6][i]], np.float32))[0]
        # Bit for bit: a pair's score must not depend on the batch it is scored in.
        np.testing.assert_array_equal(together[i], alone)
    assert together.shape == (2, len(FEATURES)) and INDEX["cosine"] == 0
