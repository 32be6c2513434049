"""Seniority read from titles: how senior a post is, or a candidate seeks or has been, on one ladder.

A head of IT with twenty years behind him is not the candidate for a first-line helpdesk post, nor a student for
an IT director's; JUDGING.md grades "the same occupation with a clear mismatch in seniority" down. Levels:
0 junior (младший, помощник, стажёр, junior, intern), 1 the plain title, 2 senior (старший, ведущий, главный,
senior, lead), 3 a head of a team or department (руководитель, начальник, тимлид, head), 4 a director (директор,
CIO, CTO). A title of several parts takes its highest level.

Invariants: a level is one of 0..4, or None for an empty title; the words are matched case- and ё-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_LEVELS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (4, re.compile(r"директор|director|\bcio\b|\bcto\b|\bceo\b|вице-президент|vice president")),
    (3, re.compile(r"руковод|начальник|заведующ|\bhead\b|тимлид|team ?lead|управляющ|заместитель")),
    (2, re.compile(r"старш|ведущ|главн|senior|\blead\b|эксперт|expert|principal|архитектор|architect")),
    (0, re.compile(r"младш|помощник|стаж[её]р|junior|intern|trainee|ассистент|начинающ|без опыта|студент")),
)
_PARTS = re.compile(r"[/,;|\\\n]+")


def level_of(title: str) -> int | None:
    """The highest level any part of ``title`` names; 1 where a part names none; None for an empty title."""
    levels = []
    for part in _PARTS.split(title.lower().replace("ё", "е")):
        if part.strip():
            levels.append(next((level for level, pattern in _LEVELS if pattern.search(part)), 1))
    return max(levels) if levels else None


def seniority_columns(vacancies: Sequence[int | None], resumes: Sequence[int | None]) -> dict[str, np.ndarray]:
    """The seniority features of pairs ``(vacancies[i], resumes[i])``: the vacancy's level minus the one sought,
    and its size (NaN where either title is empty)."""
    gap = np.array(
        [np.nan if v is None or r is None else float(v - r) for v, r in zip(vacancies, resumes, strict=True)],
        np.float32,
    )
    return {"seniority_gap": gap, "seniority_mismatch": np.abs(gap)}
