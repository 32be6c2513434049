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
from typing import TYPE_CHECKING

import numpy as np

from careerrank.scoring.occupation_taxonomy import ADJACENT, BY_CODE, TAXONOMY

if TYPE_CHECKING:
    from careerrank.scoring.postings import Posting


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


def occupations_held(posting: Posting) -> frozenset[str]:
    """Every occupation a posting's title and positions held name."""
    return frozenset(occupations_of(posting.title)) | frozenset(occupations_of(posting.past_positions()))


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


CODES: tuple[str, ...] = tuple(o.code for o in TAXONOMY)
_AT: dict[str, int] = {code: i for i, code in enumerate(CODES)}
# FIT_ONE[a, b]: occupations a and b fit at least 1 (one family or adjacent); the same occupation fits 2.
FIT_ONE: np.ndarray = np.array([[fit(a, b) >= 1 for b in CODES] for a in CODES], np.float32)


# Umbrella words, not occupations of their own beside a specific one: «Ведущий программист PHP / Специалист IT»
# is a PHP developer's post, and «Системный администратор, IT-специалист» a system administrator.
UMBRELLAS = frozenset({"it_specialist", "dev_any", "engineer", "manager", "office"})


def specific(codes: Sequence[str]) -> tuple[str, ...]:
    """``codes`` without the umbrellas, unless nothing else is named."""
    narrowed = tuple(c for c in codes if c not in UMBRELLAS)
    return narrowed or tuple(codes)


def masks(title: Sequence[str], held: Sequence[str], narrow: bool = False) -> np.ndarray:
    """One posting's occupations as rows over :data:`CODES`: the primary one, every one of the title, every one
    held. What :func:`occupation_columns` compares, a batch at a time. ``narrow`` (a vacancy's title: what the post
    is) leaves out the umbrellas beside a specific occupation; a resume's umbrellas stay (what the candidate would
    also take)."""
    out = np.zeros((3, len(CODES)), np.float32)
    title = specific(title) if narrow else tuple(title)
    if title:
        out[0, _AT[title[0]]] = 1
    out[1, [_AT[c] for c in title]] = 1
    out[2, [_AT[c] for c in held]] = 1
    return out


def _closest(wanted: np.ndarray, offered: np.ndarray) -> np.ndarray:
    """Per row, the best fit between the occupations of ``wanted`` and ``offered`` (rows of :func:`masks`): 2 if
    they share one, 1 if one fits one, 0 otherwise, NaN where either row is empty."""
    same = (wanted * offered).sum(axis=1) > 0
    near = ((wanted @ FIT_ONE) * offered).sum(axis=1) > 0
    known = (wanted.sum(axis=1) > 0) & (offered.sum(axis=1) > 0)
    return np.where(known, np.where(same, 2.0, np.where(near, 1.0, 0.0)), np.nan).astype(np.float32)


def occupation_columns(vacancies: np.ndarray, resumes: np.ndarray) -> dict[str, np.ndarray]:
    """The occupation features of the pairs ``(vacancies[i], resumes[i])`` (stacked :func:`masks`), by name (NaN:
    an occupation unknown): how close the resume's sought positions and past positions come to the vacancy's
    primary occupation, and the closest any occupation of the title comes to any sought one."""
    return {
        "occupation_sought_fit": _closest(vacancies[:, 0], resumes[:, 1]),
        "occupation_held_fit": _closest(vacancies[:, 0], resumes[:, 2]),
        "occupation_any_fit": _closest(vacancies[:, 1], resumes[:, 1]),
    }
