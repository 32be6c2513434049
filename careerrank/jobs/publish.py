"""Publishing files of events (event JSONL of postings, applications and feedback; SuperJob and HeadHunter CSV)
to RabbitMQ, with progress."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm import tqdm

from careerrank.ingest import ReadStats, count_records, read_events
from careerrank.ingest.records import Record
from careerrank.messaging import publish_events
from careerrank.settings import AmqpSettings
from schemas import Kind


async def publish_files(
    settings: AmqpSettings,
    paths: list[Path],
    kind: Kind | None = None,
    limit: int | None = None,
    skip_invalid: bool = False,
    per_message: int = 1,
    transform: Callable[[Record], Record] | None = None,
) -> dict[str, Any]:
    """Publish every file's events (at most ``limit`` per file), each through ``transform`` if given; return a
    summary per file."""
    summary: dict[str, Any] = {"files": []}
    for path in paths:
        total = count_records(path)
        if limit is not None:
            total = min(total, limit)
        stats = ReadStats()
        started = time.monotonic()
        with tqdm(total=total, desc=path.name, unit="ev", file=sys.stderr) as bar:
            # Without the flag each format keeps its default: JSONL strict, CSV dumps skip empty rows.
            events: Iterator[Record] = read_events(
                path, kind=kind, skip_invalid=True if skip_invalid else None, stats=stats
            )
            if limit is not None:
                events = islice(events, limit)
            if transform is not None:
                events = map(transform, events)
            published = await publish_events(settings, events, bar, per_message)
        elapsed = time.monotonic() - started
        summary["files"].append(
            {
                "path": str(path),
                "published": published,
                "skipped": stats.skipped,
                "seconds": round(elapsed, 2),
                "events_per_s": round(published / elapsed, 1) if elapsed else None,
            }
        )
    return summary
