"""What the readers yield, how they count, and how a converted row becomes an event."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from careerrank.ingest.cleaning import NO_SALARY, Salary, detect_language
from schemas import Closure, Kind, ResumeUpserted, ScoringEvent, Upsert, VacancyUpserted
from schemas.envelope import describe_errors

# Postings come from every format; applications and feedback from event JSONL only.
Record = Upsert | Closure | ScoringEvent

# The schema rejects longer free text; a converted dump is cut instead, keeping the posting.
MAX_TEXT_CHARS = 200_000
MAX_TITLE_CHARS = 500
MAX_SKILLS = 300
MAX_SKILL_CHARS = 200
_KEPT_ERRORS = 20


@dataclass(frozen=True, slots=True)
class SourceError:
    """One input record that produced no event.

    ``line`` is the physical line for JSONL and the 1-based data row for CSV. ``reason`` names fields and
    rules only, never values, so it is safe to log.
    """

    path: str
    line: int
    reason: str


@dataclass(slots=True)
class ReadStats:
    """Counters a caller passes to :func:`~careerrank.ingest.read_events` to report on a run.

    ``records`` advances once per input record (events, skips and filtered ones alike), so it can drive a
    progress bar whose total is :func:`~careerrank.ingest.count_records`.
    """

    records: int = 0
    events: int = 0
    skipped: int = 0
    filtered: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    errors: list[SourceError] = field(default_factory=list)

    def skip(self, error: SourceError) -> None:
        self.skipped += 1
        self.reasons[error.reason] += 1
        if len(self.errors) < _KEPT_ERRORS:
            self.errors.append(error)


@dataclass(frozen=True, slots=True)
class PostingFields:
    """What a reader converts one row into: the posting fields of an upsert event, before validation."""

    title: str
    text: str
    skills: list[str] = field(default_factory=list)
    salary: Salary = NO_SALARY
    city: str | None = None
    experience_years: float | None = None
    # The structured fields of schema version 2, as event fields (work history, education, languages, ...).
    profile: Mapping[str, Any] = field(default_factory=dict)


def event_id(source: str, item_id: str, content: Mapping[str, Any]) -> str:
    """Deterministic id: the same row converted again gets the same event id, a changed row a new one."""
    payload = json.dumps([source, item_id, content], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def build_posting(
    kind: Kind,
    source: str,
    item_id: str,
    occurred_at: datetime,
    fields: PostingFields,
    path: Path,
    line: int,
) -> Upsert | SourceError:
    """Validate converted fields into an upsert event, or explain why the row gives none."""
    content: dict[str, Any] = {
        "title": fields.title[:MAX_TITLE_CHARS],
        "text": fields.text[:MAX_TEXT_CHARS],
        "skills": [s[:MAX_SKILL_CHARS] for s in fields.skills][:MAX_SKILLS],
        "salary_from": fields.salary.low,
        "salary_to": fields.salary.high,
        "currency": fields.salary.currency,
        "city": fields.city,
        "experience_years": fields.experience_years,
    }
    content["language"] = detect_language(f"{content['title']}\n{content['text']}\n{' '.join(content['skills'])}")
    content.update(fields.profile)
    content["occurred_at"] = occurred_at
    content["id"] = item_id
    model = VacancyUpserted if kind == "vacancy" else ResumeUpserted
    try:
        return model(event_id=event_id(source, item_id, content), **content)
    except ValidationError as exc:
        return SourceError(str(path), line, describe_errors(exc))


def normalise_header(name: str) -> str:
    """Header as matched: lower case, single spaces, ``.`` as ``_`` (``salary.from`` is ``salary_from``)."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().lower().replace(".", "_")


def find_column(headers: Sequence[str], *candidates: str) -> str | None:
    """The header equal to the first candidate that names one; ``None`` if absent.

    A candidate ending in ``*`` also matches headers that begin with it, for headers that vary in
    their tails (``"опыт (двойное нажатие для полной версии)"``).
    """
    normalised = [(normalise_header(h), h) for h in headers]
    for candidate in candidates:
        stem = candidate.removesuffix("*")
        for norm, original in normalised:
            if norm == stem or (candidate.endswith("*") and norm.startswith(stem)):
                return original
    return None


def _raise_field_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """``(1-based data row, row)`` pairs of a UTF-8 CSV (a BOM is fine); blank lines are not rows."""
    _raise_field_limit()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=1):
            yield number, {k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}


def csv_header(path: Path) -> list[str]:
    """The header row of a CSV file (empty for an empty file)."""
    _raise_field_limit()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def count_csv_rows(path: Path) -> int:
    """Data rows of a CSV, quoted line breaks included, without converting them."""
    _raise_field_limit()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return max(0, sum(1 for row in csv.reader(handle) if row) - 1)
