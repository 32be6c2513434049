"""Event files: one event per line, exactly as published (``schemas`` JSON): postings, applications and
recruiter feedback (``careerrank simulate`` writes the last two apart, in ``scoring.jsonl``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from careerrank.ingest.records import Record, SourceError
from schemas import POSTINGS, SCORING, SCORING_TYPES, InvalidEvent, parse_event

SUFFIXES = frozenset({".jsonl", ".ndjson"})


def read(path: Path) -> Iterator[Record | SourceError]:
    """Every non-blank line parsed and validated; an invalid one becomes a :class:`SourceError`."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            # The family by the type it names; an unknown type is reported by the postings' parser.
            family = SCORING if any(f'"{t}"'.encode() in line for t in SCORING_TYPES) else POSTINGS
            try:
                yield parse_event(line, family=family)
            except InvalidEvent as exc:
                yield SourceError(str(path), number, exc.reason)


def count(path: Path) -> int:
    """Non-blank lines, without parsing them."""
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def write(path: Path, events: Iterable[Record]) -> int:
    """Write events one per line (UTF-8, no escaping of Cyrillic); return how many."""
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for event in events:
            handle.write(event.model_dump_json())
            handle.write("\n")
            written += 1
    return written
