"""Values the storage cannot hold, through the real workers: timestamps at both ends of the range (an offset
that carries a valid ISO 8601 time out of it once in UTC) in single and batch messages of both families, an
element nested too deep for the parser, a single event under a batch key. Each is refused at once with a
reason that names the field, never retried as a processing error, and every good neighbour is applied."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest

from careerrank.messaging import Names
from careerrank.settings import Settings
from tests.integration.pipeline import posting, publish, running, settle, wait_matched

pytestmark = [pytest.mark.integration, pytest.mark.slow]

YEAR_ONE = "0001-01-01T00:00:00+14:00"  # 0000-12-31T10:00Z: before year 1 in UTC
YEAR_10000 = "9999-12-31T23:00:00-05:00"  # 10000-01-01T04:00Z: after year 9999 in UTC


def element(event: Any) -> dict[str, Any]:
    return json.loads(event.model_dump_json())  # type: ignore[no-any-return]


def application(n: int, occurred_at: str = "2026-01-01T10:00:00Z") -> dict[str, Any]:
    return {
        "type": "application.submitted",
        "event_id": f"a{n}",
        "occurred_at": occurred_at,
        "vacancy_id": f"v{n}",
        "resume_id": f"r{n}",
    }


def feedback(n: int, occurred_at: str) -> dict[str, Any]:
    return {
        "type": "feedback.recorded",
        "event_id": f"f{n}",
        "occurred_at": occurred_at,
        "vacancy_id": f"v{n}",
        "resume_id": f"r{n}",
        "recruiter_id": "rec-1",
        "employer_id": "emp-1",
        "decision": "invited",
    }


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.timeout(180)
async def test_unstorable_values_are_refused_at_once_and_their_neighbours_applied(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    v = [posting("vacancy", i) for i in range(7)]
    early_vacancy = {**element(posting("vacancy", 90)), "occurred_at": YEAR_ONE}
    late_resume = {**element(posting("resume", 91)), "occurred_at": YEAR_10000}
    sent: list[tuple[str, bytes]] = [
        ("vacancy.upserted", json.dumps(early_vacancy).encode()),
        ("resume.upserted", json.dumps(late_resume).encode()),
        ("batch", json.dumps([element(v[0]), early_vacancy, element(v[1])]).encode()),
        ("batch", json.dumps([element(v[2]), late_resume, element(v[3])]).encode()),
        # A good event, one nested 990 deep, a good event: the deep one alone is refused.
        ("batch", f"[{v[4].model_dump_json()}, {deep(990)}, {v[5].model_dump_json()}]".encode()),
        ("batch", v[6].model_dump_json().encode()),  # one event, not an array, under the batch key
        ("application.submitted", json.dumps(application(90, YEAR_ONE)).encode()),
        ("feedback.recorded", json.dumps(feedback(91, YEAR_10000)).encode()),
        ("scoring.batch", json.dumps([application(1), feedback(92, YEAR_ONE), application(2)]).encode()),
        ("scoring.batch", json.dumps([application(3), application(93, YEAR_10000), application(4)]).encode()),
    ]
    names = Names.of(settings.amqp)
    started = time.monotonic()
    with running(settings, tmp_path, roles=("embedder", "matcher", "scorer")) as workers:
        await publish(settings, [])  # declares the topology
        connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
        async with connection:
            exchange = await (await connection.channel()).get_exchange(names.events)
            for key, body in sent:
                await exchange.publish(aio_pika.Message(body, delivery_mode=2), routing_key=key)
        await wait_matched(db, {"vacancy": 6, "resume": 0})
        deadline = time.monotonic() + 30
        while await db.fetchval("SELECT count(*) FROM applications") < 4:
            assert time.monotonic() < deadline, "the good applications were not applied"
            await asyncio.sleep(0.1)
        await settle(db, settings)
        elapsed = time.monotonic() - started
        assert workers.stop() == [0, 0, 0]
    letters = await db.fetch("SELECT queue, reason FROM dead_letters ORDER BY id")
    reasons = sorted(r["reason"] for r in letters)
    assert len(letters) == 10, reasons
    out_of_range = [r for r in reasons if "occurred_at: outside the range that can be stored" in r]
    assert len(out_of_range) == 8, reasons
    assert sum(r.startswith("batch element 1: schema-invalid") for r in out_of_range) == 4
    assert "batch element 1: malformed JSON: nested too deeply" in reasons
    assert any("under the routing key 'batch' is a JSON array of events" in r for r in reasons)
    # Refused at once: not retried as a processing error, nothing from the database.
    assert not any("processing error" in r or "PostgreSQL refused" in r for r in reasons)
    assert elapsed < 60
    scorer_letters = sum(r["queue"] == names.scorer_queue for r in letters)
    assert scorer_letters == 4
    assert sorted(await db.fetchval("SELECT array_agg(vacancy_id) FROM applications")) == ["v1", "v2", "v3", "v4"]
    assert await db.fetchval("SELECT count(*) FROM feedback") == 0
