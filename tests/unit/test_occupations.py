"""Occupations read from titles: the examples a recruiter would check, the fit's invariants, the feature columns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from careerrank.scoring.occupation_taxonomy import TAXONOMY
from careerrank.scoring.occupations import best_fit, fit, occupation_columns, occupations_of


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
    columns = occupation_columns([(("dev_php", "it_specialist"), ()), ((), ())], [(("sysadmin",), ("support",))] * 2)
    assert columns["occupation_sought_fit"][0] == 0  # the primary occupation: a PHP developer
    assert columns["occupation_any_fit"][0] == 1  # the title's "IT specialist" is one family with a sysadmin
    assert columns["occupation_held_fit"][0] == 0
    assert all(np.isnan(column[1]) for column in columns.values())
