"""Occupations read from titles: the examples a recruiter would check, the fit's invariants, the feature columns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from careerrank.scoring.occupation_taxonomy import TAXONOMY
from careerrank.scoring.occupations import CODES, best_fit, fit, masks, occupation_columns, occupations_of


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Ведущий программист PHP / Специалист IT", ("dev_php", "it_specialist")),
        ("Ведущий PHP-разработчик / Senior PHP developer", ("dev_php",)),
        ("Программист 1С 8 с функциями it-специалиста", ("dev_1c",)),
        ("Директор IT / Заместитель директора по IT", ("it_head",)),
        ("Системный администратор, IT-специалист, Секретарь", ("sysadmin", "it_specialist", "office")),
        ("Руководитель группы разработки C# (тимлид)", ("dev_dotnet",)),
        ("Менеджер по сопровождению сделок (недвижимость)", ("real_estate",)),
        ("Менеджер по продажам компьютерной техники", ("sales",)),
        ("Главный бухгалтер", ("accountant",)),
        ("Technical writer", ()),
    ],
)
def test_titles_name_the_occupations_a_recruiter_reads(title: str, expected: tuple[str, ...]) -> None:
    assert occupations_of(title) == expected


def test_the_issue_cases_are_told_apart() -> None:
    php = occupations_of("Ведущий программист PHP / Специалист IT")[0]
    for resume in ("Системный администратор, IT-специалист", "Начальник IT-отдела", "Программист 1С", "Бухгалтер"):
        assert best_fit(php, occupations_of(resume)) == 0, resume
    assert best_fit(php, occupations_of("Web-программист / web-разработчик")) == 1
    assert best_fit(php, occupations_of("PHP developer")) == 2


def test_fit_is_symmetric_and_two_only_for_one_occupation() -> None:
    codes = [o.code for o in TAXONOMY]
    assert len(codes) == len(set(codes))
    for a in codes:
        for b in codes:
            assert fit(a, b) == fit(b, a)
            assert (fit(a, b) == 2) == (a == b)


def test_an_unknown_occupation_is_missing_not_zero() -> None:
    assert math.isnan(best_fit(None, ("sysadmin",)))
    assert math.isnan(best_fit("sysadmin", ()))
    vacancies = np.stack([masks(("dev_php", "it_specialist"), ()), masks((), ())])
    resumes = np.stack([masks(("sysadmin",), ("support",))] * 2)
    columns = occupation_columns(vacancies, resumes)
    assert columns["occupation_sought_fit"][0] == 0  # the primary occupation: a PHP developer
    assert columns["occupation_any_fit"][0] == 1  # the title's "IT specialist" is one family with a sysadmin
    assert columns["occupation_held_fit"][0] == 0
    assert all(np.isnan(column[1]) for column in columns.values())


def test_the_batch_columns_agree_with_the_fit_of_each_pair() -> None:
    rng = np.random.default_rng(1)
    vacancies, resumes, expected = [], [], []
    for _ in range(300):
        title = tuple(dict.fromkeys(rng.choice(CODES, rng.integers(0, 3)).tolist()))
        sought = tuple(dict.fromkeys(rng.choice(CODES, rng.integers(0, 3)).tolist()))
        held = tuple(dict.fromkeys(rng.choice(CODES, rng.integers(0, 3)).tolist()))
        vacancies.append(masks(title, ()))
        resumes.append(masks(sought, held))
        primary = title[0] if title else None
        any_fit = max((best_fit(code, sought) for code in title), default=float("nan"))
        expected.append((best_fit(primary, sought), best_fit(primary, held), any_fit))
    columns = occupation_columns(np.stack(vacancies), np.stack(resumes))
    got = np.stack([columns["occupation_sought_fit"], columns["occupation_held_fit"], columns["occupation_any_fit"]], 1)
    np.testing.assert_array_equal(got, np.array(expected, np.float32))


def test_a_vacancy_title_is_its_specific_occupation_and_a_resume_keeps_its_umbrellas() -> None:
    php_post = masks(occupations_of("Ведущий программист PHP / Специалист IT"), (), narrow=True)
    it_post = masks(occupations_of("IT-специалист"), (), narrow=True)
    admin = masks(occupations_of("Системный администратор, IT-специалист"), ())
    columns = occupation_columns(np.stack([php_post, it_post]), np.stack([admin, admin]))
    assert columns["occupation_any_fit"].tolist() == [0.0, 2.0]  # "IT" beside PHP is no occupation of the post
    assert columns["occupation_sought_fit"].tolist() == [0.0, 2.0]
