"""Occupations read from titles: a job board's taxonomy, in Russian and English, with its families.

TF-IDF of titles and the sentence embedding both see "IT" in "Ведущий программист PHP / Специалист IT" and in
"Системный администратор, IT-специалист"; a recruiter sees a PHP developer and a system administrator. Each title
is cut into its parts ("/", ",", ";"), and each part is given the first occupation of :data:`TAXONOMY`
whose pattern it contains: specific occupations come before general ones, so "программист 1С" is a 1C developer
before it is a developer, and "руководитель группы разработки C#" a .NET developer before a head of anything.

Invariants:
- :func:`occupations_of` returns codes in the order their parts appear; the first is the primary occupation.
- :func:`fit` is symmetric: 2 for one occupation, 1 for one family or adjacent families or occupations (a 1C
  developer and a 1C consultant, a system administrator and an information security specialist), 0 otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from careerrank.scoring.occupation_taxonomy import ADJACENT, BY_CODE, TAXONOMY

Titled = tuple[tuple[str, ...], tuple[str, ...]]  # (occupations of the title, occupations of the positions held)

_BRACKETS = re.compile(r"\(([^)]*)\)")
_PARTS = re.compile(r"[/,;|\\()\n]+|\s+-\s+|\s+и\s+|\s+or\s+")


def _normalised(text: str) -> str:
    return text.lower().replace("ё", "е")


def occupation_of(part: str) -> str | None:
    """The code of the first occupation whose pattern ``part`` contains, or None."""
    text = _normalised(part)
    for occupation in TAXONOMY:
        if occupation.pattern.search(text):
            return occupation.code
    return None


def occupations_of(title: str) -> tuple[str, ...]:
    """The occupations a title names, in the order of its parts, each once. What brackets hold belongs to its part
    ("Менеджер по сопровождению сделок (недвижимость)" is a real estate occupation)."""
    return _named(_BRACKETS.sub(r" \1 ", title))


def _named(title: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in _PARTS.split(title):
        code = occupation_of(part) if part.strip() else None
        if code is not None and code not in out:
            out.append(code)
    return tuple(out)


def fit(left: str, right: str) -> int:
    """How close two occupations are: 2 one occupation, 1 one family or adjacent families, 0 otherwise."""
    if left == right:
        return 2
    a, b = BY_CODE[left].family, BY_CODE[right].family
    return 1 if a == b or frozenset((a, b)) in ADJACENT or frozenset((left, right)) in ADJACENT else 0


def best_fit(wanted: str | None, offered: tuple[str, ...]) -> float:
    """The closest of ``offered`` to ``wanted``; NaN when either side names no known occupation."""
    if wanted is None or not offered:
        return float("nan")
    return float(max(fit(wanted, code) for code in offered))


def occupation_columns(vacancies: Sequence[Titled], resumes: Sequence[Titled]) -> dict[str, np.ndarray]:
    """The occupation features of the pairs ``(vacancies[i], resumes[i])``, by name (NaN: an occupation unknown):
    how close the resume's sought positions and past positions come to the vacancy's primary occupation, and the
    closest any occupation of the title comes to any sought one."""
    sought, held, any_ = (np.full(len(vacancies), np.nan, np.float32) for _ in range(3))
    for i, ((titled, _), (wanted, past)) in enumerate(zip(vacancies, resumes, strict=True)):
        primary = titled[0] if titled else None
        sought[i] = best_fit(primary, wanted)
        held[i] = best_fit(primary, past)
        any_[i] = max((best_fit(code, wanted) for code in titled), default=np.nan)
    return {"occupation_sought_fit": sought, "occupation_held_fit": held, "occupation_any_fit": any_}
