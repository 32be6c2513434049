"""Field types shared by every event: ids, cleaned text of bounded length."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

# C0 controls other than tab, newline and carriage return, and DEL. PostgreSQL cannot store NUL in text,
# and none of them carries meaning in a vacancy or a resume: text fields drop them, ids refuse them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def drop_controls(value: object) -> object:
    return _CONTROLS.sub("", value) if isinstance(value, str) and _CONTROLS.search(value) else value


Clean = BeforeValidator(drop_controls)
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/]+$")]
EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]+$")
]
ShortText = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True), Clean]
Skill = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), Clean]
# Hard ceiling on free text: above it the event is rejected. Below it, the embedder still truncates
# deliberately to what the model can read (see careerrank.encoding.texts).
LongText = Annotated[str, StringConstraints(max_length=200_000), Clean]
# A work period's duties: one job's share of a resume.
Duties = Annotated[str, StringConstraints(max_length=20_000), Clean]
