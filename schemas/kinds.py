"""The two kinds of items, the two directions of lists between them, and what a list holds."""

from __future__ import annotations

from typing import Literal

Kind = Literal["vacancy", "resume"]
KINDS: tuple[Kind, Kind] = ("vacancy", "resume")

Direction = Literal["vacancy_to_resume", "resume_to_vacancy"]
# A list's direction is named by its source's kind: a vacancy's list holds resumes.
DIRECTIONS: dict[Kind, Direction] = {"vacancy": "vacancy_to_resume", "resume": "resume_to_vacancy"}

# A top-K list: ``(target id, score)`` pairs, best first, ties by id.
Ranked = list[tuple[str, float]]


def opposite(kind: Kind) -> Kind:
    return "resume" if kind == "vacancy" else "vacancy"
