"""Operator commands behind the CLI: migrate, publish files, read matches, handle dead letters."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
from tqdm import tqdm

from careerrank import infrastructure
from careerrank.publishing import persistent_message, publish_windowed
from careerrank.settings import Settings
from careerrank.sources import ReadStats, count_records, read_events
from careerrank.storage import dead_letters, matches
from careerrank.storage.migrations import apply_migrations, ensure_database
from schemas import Closure, Kind, Upsert
from schemas.envelope import BATCH_ROUTING_KEY
from workers.connections import connect_broker


async def migrate(settings: Settings) -> int:
    """Start local services if down, create the database if missing, apply pending migrations."""
    dsn = settings.postgres.dsn.get_secret_value()
    await asyncio.to_thread(infrastructure.ensure_up, dsn, settings.amqp.url.get_secret_value())
    await ensure_database(dsn)
    return await asyncio.to_thread(apply_migrations, dsn)


def event_message(event: Upsert | Closure) -> tuple[str, aio_pika.Message]:
    return event.type, persistent_message(event.model_dump_json().encode(), message_id=event.event_id)


def batch_message(events: Sequence[Upsert | Closure]) -> tuple[str, aio_pika.Message]:
    """Several events in one message (a JSON array): one publish, confirm and ack for all of them."""
    body = b"[" + b",".join(e.model_dump_json().encode() for e in events) + b"]"
    return BATCH_ROUTING_KEY, persistent_message(body, message_id=f"batch:{events[0].event_id}:{len(events)}")


async def publish_events(
    settings: Settings,
    events: Iterator[Upsert | Closure],
    progress: tqdm | None = None,
    per_message: int = 1,
) -> int:
    """Publish events with confirms in a window; return the number of events.

    ``per_message`` > 1 packs that many events into each message. The topology is declared first so
    nothing is unroutable.
    """
    broker = await connect_broker(settings, prefetch=1)
    sizes: list[int] = []

    def messages() -> Iterator[tuple[str, aio_pika.Message]]:
        if per_message <= 1:
            for event in events:
                sizes.append(1)
                yield event_message(event)
            return
        for chunk in _chunked(events, per_message):
            sizes.append(len(chunk))
            yield batch_message(chunk)

    confirmed = 0

    def on_confirmed() -> None:
        # Confirms may come out of order; the bar only needs the running total, message by message.
        nonlocal confirmed
        if progress is not None:
            progress.update(sizes[confirmed])
        confirmed += 1

    try:
        await publish_windowed(
            broker.topology.events,
            messages(),
            settings.amqp.publish_window,
            on_confirmed=on_confirmed,
        )
    finally:
        await broker.connection.close()
    return sum(sizes)


def _chunked(events: Iterator[Upsert | Closure], size: int) -> Iterator[list[Upsert | Closure]]:
    chunk: list[Upsert | Closure] = []
    for event in events:
        chunk.append(event)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def publish_files(
    settings: Settings,
    paths: list[Path],
    kind: Kind | None,
    limit: int | None,
    skip_invalid: bool,
    per_message: int = 1,
) -> dict[str, Any]:
    summary: dict[str, Any] = {"files": []}
    for path in paths:
        total = count_records(path)
        if limit is not None:
            total = min(total, limit)
        stats = ReadStats()
        started = time.monotonic()
        with tqdm(total=total, desc=path.name, unit="ev", file=sys.stderr) as bar:
            # Without the flag each format keeps its default: JSONL strict, CSV dumps skip empty rows.
            events = read_events(path, kind=kind, skip_invalid=True if skip_invalid else None, stats=stats)
            if limit is not None:
                events = _take(events, limit)
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


def _take(events: Iterator[Upsert | Closure], n: int) -> Iterator[Upsert | Closure]:
    for i, event in enumerate(events):
        if i >= n:
            return
        yield event


async def print_matches(settings: Settings, kind: Kind, item_id: str, as_json: bool = False) -> int:
    conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value())
    try:
        rows = await matches.read_list(conn, kind, item_id)
    finally:
        await conn.close()
    if as_json:
        print(json.dumps([asdict(r) for r in rows], default=str, ensure_ascii=False, indent=2))
    elif not rows:
        print(f"no matches for {kind} {item_id!r} (unknown, closed, or not matched yet)")
    else:
        other = "resume" if kind == "vacancy" else "vacancy"
        print(f"top-{len(rows)} {other}s for {kind} {item_id} (model {rows[0].model_version}):")
        for r in rows:
            print(f"{r.rank:>3}  {r.score:6.3f}  {r.target_id:<24} {(r.title or '')[:70]}")
    return 0 if rows else 1


async def dead_letters_command(settings: Settings, action: str, ids: list[int], everything: bool) -> int:
    conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value())
    try:
        if action == "list":
            for letter in await dead_letters.list_pending(conn, limit=1000, include_replayed=everything):
                state = f"replayed {letter.replayed_at:%Y-%m-%d %H:%M}" if letter.replayed_at else "pending"
                print(
                    f"{letter.id:>6}  {letter.created_at:%Y-%m-%d %H:%M:%S}  {letter.queue:<28} {state:<22} "
                    f"{letter.reason[:100]}"
                )
            return 0
        if action == "show":
            for letter_id in ids:
                shown = await dead_letters.get(conn, letter_id)
                if shown is None:
                    print(f"no dead letter {letter_id}")
                    return 1
                print(
                    json.dumps(
                        {**asdict(shown), "body": shown.body.decode("utf-8", "replace")},
                        default=str,
                        ensure_ascii=False,
                        indent=2,
                    )
                )
            return 0
        # replay: put the stored body back on the queue it failed in (embedder or matcher), attempts reset
        if everything:
            letters = await dead_letters.list_pending(conn, limit=100_000)
        else:
            found = [await dead_letters.get(conn, i) for i in ids]
            letters = [x for x in found if x is not None]
        broker = await connect_broker(settings, prefetch=1)
        try:
            known = {broker.names.embedder_queue, broker.names.matcher_queue}
            replayed = 0
            for letter in letters:
                if letter.queue not in known:
                    print(
                        f"dead letter {letter.id} came from {letter.queue!r}, not a queue of this deployment; skipped"
                    )
                    continue
                await broker.channel.default_exchange.publish(persistent_message(letter.body), routing_key=letter.queue)
                await dead_letters.mark_replayed(conn, letter.id)
                replayed += 1
        finally:
            await broker.connection.close()
        print(f"replayed {replayed} dead letter(s)")
        return 0
    finally:
        await conn.close()
