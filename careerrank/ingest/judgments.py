"""The judged SuperJob pairs as recruiter feedback: real relevance labels, fed to the scorer like decisions.

A pair judged suitable or more or less suitable (grade 1 or 2, ``datasets/JUDGING.md``) is an invitation, a
pair judged not suitable a rejection, all by one recruiter ("superjob-judges") of one employer. Event ids and
times are derived from the pair, so publishing them twice records them once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from careerrank.ingest.bundled import JUDGMENTS_DIR
from schemas import FeedbackRecorded

JUDGES = "superjob-judges"
EMPLOYER = "superjob-sample"
_DECIDED_FROM = datetime(2026, 1, 1, tzinfo=UTC)


def read_grades(path: Path = JUDGMENTS_DIR) -> dict[tuple[str, str, str], int]:
    """``(direction, query, candidate) -> grade`` of every judged pair (a later line wins)."""
    grades: dict[tuple[str, str, str], int] = {}
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path] if path.exists() else []
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                j = json.loads(line)
                grades[(j["direction"], j["query"], j["candidate"])] = int(j["grade"])
    return grades


def judgment_feedback(path: Path = JUDGMENTS_DIR) -> list[FeedbackRecorded]:
    """One ``feedback.recorded`` event per judged pair, a second apart, in a fixed order: vacancies in the order of a
    hash of their ids, each one's pairs sorted. The judgments have no time of their own; ordered by direction, the
    vacancies judged as queries would all come last, and a split by time (``scorer train``) would hold out nearly
    all of them and validate on the sparse rest."""
    events = []

    def vacancy_of(item: tuple[tuple[str, str, str], int]) -> str:
        direction, query, candidate = item[0]
        return query if direction == "vacancy_to_resume" else candidate

    ordered = sorted(read_grades(path).items(), key=lambda item: (_hashed(vacancy_of(item)), item[0]))
    for n, ((direction, query, candidate), grade) in enumerate(ordered):
        vacancy, resume = (query, candidate) if direction == "vacancy_to_resume" else (candidate, query)
        digest = hashlib.sha1(f"{direction}|{query}|{candidate}".encode()).hexdigest()[:16]
        events.append(
            FeedbackRecorded(
                event_id=f"judged-{digest}",
                occurred_at=_DECIDED_FROM + timedelta(seconds=n),
                vacancy_id=vacancy,
                resume_id=resume,
                recruiter_id=JUDGES,
                employer_id=EMPLOYER,
                decision="invited" if grade >= 1 else "rejected",
            )
        )
    return events


def _hashed(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def judgments_version(path: Path = JUDGMENTS_DIR) -> str:
    """A short fingerprint of the judgments: names the model trained on them."""
    text = json.dumps(sorted(read_grades(path).items()))
    return hashlib.sha1(text.encode()).hexdigest()[:8]
