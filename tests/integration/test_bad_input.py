"""Bad input is dead-lettered with its reason; the good messages around it are processed; nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from careerrank.messaging.publishing import persistent_message
from careerrank.messaging.topology import Names
from careerrank.settings import Settings
from tests.integration.pipeline import (
    brute_force_check,
    posting,
    publish,
    running,
    running_workers,
    settle,
    wait_matched,
)
from workers.dead_letters import REASON_HEADER

pytestmark = pytest.mark.integration


def _raw(event_type: str, **fields: object) -> bytes:
    base = {"event_id": f"bad-{event_type}-{len(fields)}", "occurred_at": "2026-01-01T00:00:00Z", "id": "x1"}
    return json.dumps({"type": event_type, **base, **fields}).encode()


BAD = {
    "malformed_json": b'{"type": "vacancy.upserted", "id": ',
    "not_an_object": b'"vacancy.upserted"',
    "unknown_type": _raw("company.upserted", title="ООО Ромашка"),
    "schema_invalid": _raw("resume.upserted", title="Повар", salary_from="много", extra_field=1),
    "empty_text": _raw("vacancy.upserted", title="   ", text="", skills=[]),
    "too_large": json.dumps({"type": "vacancy.upserted", "text": "x" * 1_100_000}).encode(),
}


async def test_each_kind_of_bad_input_is_dead_lettered_with_reason(settings: Settings, db: asyncpg.Connection) -> None:
    good = [posting("vacancy", i) for i in range(15)] + [posting("resume", i) for i in range(15)]
    over_cap = json.loads(posting("resume", 99).model_dump_json()) | {"text": "Опыт работы python " * 20_000}
    ok_long = posting("resume", 98, text="Опыт работы python разработчиком. " * 2_000)  # 68k chars: truncated

    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with running_workers(settings), connection:
        channel = await connection.channel()
        events = await channel.get_exchange(Names.of(settings.amqp).events)
        # Good and bad interleaved in one stream.
        await publish(settings, good[:10])
        for code, body in BAD.items():
            # Published under its own type, as a producer would (a key naming another type is refused as such).
            key = "resume.upserted" if code == "schema_invalid" else "vacancy.upserted"
            await events.publish(persistent_message(body), routing_key=key)
        await publish(settings, [*good[10:], ok_long])
        # ~380k characters (700 kB): under the body limit, over the schema's text cap.
        await events.publish(
            persistent_message(json.dumps(over_cap, ensure_ascii=False).encode()), routing_key="resume.upserted"
        )
        await wait_matched(db, {"vacancy": 15, "resume": 16})
        await settle(db, settings)

        letters = await db.fetch("SELECT reason, body FROM dead_letters ORDER BY id")
        reasons = [r["reason"] for r in letters]
        assert len(letters) == len(BAD) + 1, reasons
        assert any(r.startswith("malformed JSON") for r in reasons)
        assert any(r.startswith("unknown event type;") for r in reasons)
        assert any("salary_from" in r and "<unexpected field>" in r for r in reasons)
        assert any("empty text" in r for r in reasons)
        assert sum("message too large" in r for r in reasons) == 1
        assert any("text: String should have at most 200000 characters" in r for r in reasons)
        assert {bytes(r["body"]) for r in letters} >= set(BAD.values())
        # No value from the input reaches a reason (they go to logs).
        assert not any(word in r for r in reasons for word in ("много", "Ромашка", "company", "extra_field"))

        dead_queue = await channel.declare_queue(Names.of(settings.amqp).dead_queue, passive=True)
        got = []
        while (message := await dead_queue.get(no_ack=True, fail=False)) is not None:
            got.append(message.headers[REASON_HEADER])
        assert sorted(got) == sorted(reasons)

    truncated = await db.fetchval("SELECT length(body) FROM resumes WHERE id = 'r98'")
    assert truncated == len(ok_long.text)  # stored whole; only the encoder input is cut
    assert await brute_force_check(db, "hashing-64") == 31


PERSON = "Смирнова Анна Викторовна"
CONTACTS = "+7 (916) 555-01-23, anna.smirnova@example.ru"


async def test_no_personal_data_reaches_the_workers_logs(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # Names, contacts and texts go in as data of valid events and as the content of bad ones; the workers'
    # own log output (JSON lines from the real processes, at INFO) must hold none of them.
    personal = posting("resume", 1, text=f"{PERSON}. {CONTACTS}. Опыт: бухгалтер 1с, 5 лет")
    personal = personal.model_copy(update={"title": f"Бухгалтер {PERSON}", "city": PERSON})
    valid = [posting("vacancy", i) for i in range(5)] + [personal]
    bad = [
        _raw("resume.upserted", title=PERSON, salary_from=CONTACTS),  # wrong type holding contacts
        _raw("resume.upserted", title="Повар", **{PERSON: CONTACTS}),  # a field named by a person
        _raw(PERSON, text=CONTACTS),  # the type itself
        f'{{"type": "resume.upserted", "title": "{PERSON}", "text": "{CONTACTS}'.encode(),  # cut off
        json.dumps({"type": "resume.upserted", "event_id": CONTACTS, "id": PERSON}).encode(),
    ]
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    with running(settings, tmp_path) as workers:
        await publish(settings, valid)  # declares the topology too
        async with connection:
            channel = await connection.channel()
            events = await channel.get_exchange(Names.of(settings.amqp).events)
            for body in bad:
                await events.publish(persistent_message(body), routing_key="resume.upserted")
        await wait_matched(db, {"vacancy": 5, "resume": 1})
        await settle(db, settings)
        assert workers.stop() == [0, 0]
    logs = workers.log_text()
    assert logs.count('"dead-lettered"') == len(bad)  # the logs were captured, and the rejections are in them
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == len(bad)
    for fragment in [PERSON, "Смирнова", "Анна", "555-01-23", "anna.smirnova", "example.ru", "бухгалтер 1с"]:
        assert fragment not in logs, fragment


async def test_a_bad_event_in_a_batch_message_is_dead_lettered_alone(
    settings: Settings, db: asyncpg.Connection
) -> None:
    from careerrank.messaging import batch_message

    good = [posting("vacancy", i) for i in range(30)] + [posting("resume", i) for i in range(20)]
    bad = {"type": "resume.upserted", "event_id": "bad-in-batch", "occurred_at": "2026-01-01T00:00:00Z", "id": "r77"}
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with running_workers(settings), connection:
        channel = await connection.channel()
        events = await channel.get_exchange(Names.of(settings.amqp).events)
        for start in range(0, len(good), 10):
            key, message = batch_message(good[start : start + 10])
            if start == 20:  # the third message carries an invalid event in the middle
                parts = json.loads(message.body)
                message = persistent_message(json.dumps([*parts[:5], bad, *parts[5:]]).encode())
            await events.publish(message, routing_key=key)
        await wait_matched(db, {"vacancy": 30, "resume": 20})
        await settle(db, settings)
    letters = await db.fetch("SELECT reason, body, headers FROM dead_letters")
    assert len(letters) == 1
    assert letters[0]["reason"].startswith("batch element 5: schema-invalid resume.upserted")
    assert json.loads(letters[0]["body"]) == bad  # the element alone: a replay sends just that event
    assert json.loads(letters[0]["headers"])["x-careerrank-batch-index"] == 5
    assert await db.fetchval("SELECT count(*) FROM processed_events") == 50
    assert await brute_force_check(db, "hashing-64") == 50
