"""The web page's form for a new posting: a vacancy (a recruiter's, for its own employer, or the job board's) or
a resume (the job board's), read from the form's fields into the same event the ingest API takes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import ValidationError

from careerrank.api.access import Principal
from schemas import Kind, ResumeUpserted, VacancyUpserted

NUMBER_FIELDS: Final = ("salary_from", "salary_to", "experience_years")
FIELDS: Final = ("title", "text", "skills", "salary_from", "salary_to", "currency", "city", "experience_years")


@dataclass
class PostingForm:
    """What was typed (to show the form again), the fields found wrong, and the event once all are right."""

    kind: Kind
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    event: VacancyUpserted | ResumeUpserted | None = None


def _number(raw: str, integer: bool) -> int | float:
    cleaned = raw.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    return int(cleaned) if integer else float(cleaned)


def new_id(kind: Kind) -> str:
    return f"{kind[0]}-web-{uuid.uuid4().hex[:16]}"


def read_form(kind: Kind, form: Mapping[str, Any], user: Principal) -> PostingForm:
    """The posting of ``form``; a recruiter's vacancy is its employer's whatever the form says."""
    names = (*FIELDS, "employer_id") if kind == "vacancy" and user.role == "job_board" else FIELDS
    values = {name: str(form.get(name) or "").strip() for name in names}
    out = PostingForm(kind, values)
    data: dict[str, Any] = {
        "event_id": f"web-{uuid.uuid4().hex}",
        "occurred_at": datetime.now(UTC),
        "id": new_id(kind),
        "title": values["title"],
        "text": values["text"],
        "skills": [s.strip() for s in values["skills"].replace("\n", ",").split(",") if s.strip()],
        "currency": values["currency"].upper() or "RUB",
        "city": values["city"] or None,
    }
    if not values["title"]:
        out.errors.append("title")  # a posting without a title is not listed anywhere
    for name in NUMBER_FIELDS:
        if values[name]:
            try:
                data[name] = _number(values[name], integer=name != "experience_years")
            except ValueError:
                out.errors.append(name)
    if kind == "vacancy":
        data["employer_id"] = user.employer_id if user.role == "recruiter" else values.get("employer_id") or None
    cls = VacancyUpserted if kind == "vacancy" else ResumeUpserted
    try:
        event = cls.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = str(error["loc"][0]) if error["loc"] else ("salary_from" if "salary" in error["msg"] else "title")
            where = where if where in names else "title"
            if where not in out.errors:
                out.errors.append(where)
        return out
    if not out.errors:
        out.event = event
    return out
