"""Input files turned into events: event JSONL, SuperJob CSV exports and HeadHunter CSV dumps.

The bundled SuperJob sample is at :data:`~careerrank.ingest.bundled.SUPERJOB_DIR`.

The format is told by the suffix (``.jsonl``/``.ndjson``) or, for ``.csv``, by the header row.
Typical use by a publisher with a progress bar::

    stats = ReadStats()
    with tqdm(total=count_records(path)) as bar:
        for event in read_events(path, skip_invalid=True, stats=stats):
            publish(event)
            bar.update(stats.records - bar.n)
    print(stats.skipped, stats.reasons.most_common(3))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from careerrank.errors import InvalidRecord, SourceFormatError
from careerrank.ingest import headhunter, jsonl, superjob
from careerrank.ingest.bundled import JUDGMENTS_DIR, SUPERJOB_DIR
from careerrank.ingest.records import PostingFields, ReadStats, Record, SourceError, count_csv_rows, csv_header
from schemas import SCORING_TYPES, Kind, kind_of

__all__ = [
    "JUDGMENTS_DIR",
    "SUPERJOB_DIR",
    "InvalidRecord",
    "PostingFields",
    "ReadStats",
    "SourceError",
    "SourceFormat",
    "SourceFormatError",
    "count_records",
    "detect_format",
    "read_events",
    "write_jsonl",
]

write_jsonl = jsonl.write


@dataclass(frozen=True, slots=True)
class SourceFormat:
    """What a file holds. ``kind`` is ``None`` for JSONL, where every line names its own kind."""

    name: Literal["jsonl", "superjob", "headhunter"]
    kind: Kind | None
    headers: tuple[str, ...] = ()


def detect_format(path: Path) -> SourceFormat:
    """The format of ``path``; :class:`SourceFormatError` when it is none of the known ones."""
    suffix = path.suffix.lower()
    if suffix in jsonl.SUFFIXES:
        return SourceFormat("jsonl", None)
    if suffix != ".csv":
        raise SourceFormatError(f"{path}: unknown file type {suffix!r}; expected .jsonl, .ndjson or .csv")
    headers = csv_header(path)
    if kind := superjob.kind_of_header(headers):
        return SourceFormat("superjob", kind, tuple(headers))
    if kind := headhunter.kind_of_header(headers):
        return SourceFormat("headhunter", kind, tuple(headers))
    shown = ", ".join(headers[:8]) or "no header"
    raise SourceFormatError(f"{path}: CSV header matches neither SuperJob nor HeadHunter ({shown})")


def count_records(path: Path) -> int:
    """Input records in ``path`` (lines or CSV rows), counted without converting them."""
    if detect_format(path).name == "jsonl":
        return jsonl.count(path)
    return count_csv_rows(path)


def read_events(
    path: Path,
    kind: Kind | None = None,
    *,
    skip_invalid: bool | None = None,
    stats: ReadStats | None = None,
) -> Iterator[Record]:
    """Events of ``path``, optionally only the postings of one ``kind``.

    An invalid record raises :class:`InvalidRecord` (naming its line) unless ``skip_invalid``; skipped
    records are counted in ``stats``. By default JSONL is strict — its lines were meant to be valid
    events — while CSV dumps skip rows that make no valid event (e.g. with no text at all).
    """
    fmt = detect_format(path)
    if kind is not None and fmt.kind is not None and fmt.kind != kind:
        raise SourceFormatError(f"{path}: holds {fmt.kind} records, not {kind} records")
    strict = fmt.name == "jsonl" if skip_invalid is None else not skip_invalid
    stats = stats if stats is not None else ReadStats()
    for item in _records(path, fmt):
        stats.records += 1
        if isinstance(item, SourceError):
            if strict:
                raise InvalidRecord(item.path, item.line, item.reason)
            stats.skip(item)
        elif kind is not None and (item.type in SCORING_TYPES or kind_of(item) != kind):  # type: ignore[arg-type]
            stats.filtered += 1
        else:
            stats.events += 1
            yield item


def _records(path: Path, fmt: SourceFormat) -> Iterator[Record | SourceError]:
    if fmt.kind is None:
        return jsonl.read(path)
    if fmt.name == "superjob":
        return superjob.read(path, fmt.kind)
    return headhunter.read(path, fmt.kind, fmt.headers)
