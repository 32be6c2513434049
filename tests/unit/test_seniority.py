"""Seniority read from titles: the ladder's examples, a title of several parts, the feature columns."""

from __future__ import annotations

import numpy as np
import pytest

from careerrank.scoring.seniority import level_of, seniority_columns


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Помощник системного администратора", 0),
        ("Junior Python developer", 0),
        ("Системный администратор", 1),
        ("Ведущий программист PHP", 2),
        ("Senior PHP developer", 2),
        ("Начальник IT-отдела", 3),
        ("Руководитель группы разработки C# (тимлид)", 3),
        ("IT-директор (CIO)", 4),
        ("Системный администратор, Руководитель IT-отдела", 3),
        ("Стажёр", 0),
        ("", None),
    ],
)
def test_titles_are_placed_on_the_ladder(title: str, level: int | None) -> None:
    assert level_of(title) == level


def test_the_gap_is_the_post_minus_the_candidate() -> None:
    columns = seniority_columns([0, 4, None], [3, 1, 1])
    assert columns["seniority_gap"].tolist()[:2] == [-3.0, 3.0]
    assert columns["seniority_mismatch"].tolist()[:2] == [3.0, 3.0]
    assert np.isnan(columns["seniority_gap"][2]) and np.isnan(columns["seniority_mismatch"][2])
