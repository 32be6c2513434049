"""Hostile bodies through the real workers: each bad element alone is dead-lettered, immediately and with a
reason free of producer strings; every good element beside it is applied; every dead letter can be stored and
replayed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from careerrank.cli.commands import dead_letters_command
from careerrank.messaging import Names, persistent_message
from careerrank.settings import Settings
from tests.integration.pipeline import posting, publish, running, settle, wait_matched

pytestmark = pytest.mark.integration


def element(event: object) -> dict[str, object]:
    return json.loads(event.model_dump_json())  # type: ignore[attr-defined, no-any-return]


async def test_hostile_bodies_are_rejected_alone_and_everything_good_is_applied(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    good = [posting("vacancy", i) for i in range(6)] + [posting("resume", i) for i in range(4)]
    surrogate = {**element(posting("resume", 90)), "title": "Повар \ud800"}
    future = {**element(posting("resume", 91)), "occurred_at": "9999-12-31T23:59:59Z"}
    person = {**element(posting("resume", 92)), "type": "ivan.petrov"}
    sent: list[tuple[str, bytes]] = [
        # A lone surrogate between two good events (escaped, as a JSON encoder writes it).
        ("batch", json.dumps([element(good[0]), surrogate, element(good[1])]).encode()),
        ("batch", b"[" * 200_000),  # nesting far past any parser's stack
        ("vacancy.upserted", b"\xef\xbb\xbf" + good[2].model_dump_json().encode()),  # a byte-order mark
        ("batch", json.dumps([future, element(good[3])]).encode()),  # a clock far ahead
        ("vacancy.upserted", good[6].model_dump_json().encode()),  # a resume under a vacancy's key
        ("batch", json.dumps([person, element(good[4])]).encode()),  # a type that is a person's name
        ("batch", json.dumps([element(e) for e in (good[5], *good[7:])]).encode()),
    ]
    names = Names.of(settings.amqp)
    started = time.monotonic()
    with running(settings, tmp_path) as workers:
        await publish(settings, [])  # declares the topology
        connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
        async with connection:
            exchange = await (await connection.channel()).get_exchange(names.events)
            for key, body in sent:
                await exchange.publish(persistent_message(body), routing_key=key)
        await wait_matched(db, {"vacancy": 6, "resume": 3})
        await settle(db, settings)
        elapsed = time.monotonic() - started
        letters = await db.fetch("SELECT id, reason, body FROM dead_letters ORDER BY id")
        reasons = sorted(r["reason"] for r in letters)
        assert len(letters) == 5, reasons
        assert any(r.startswith("batch element 1: schema-invalid resume.upserted: title:") for r in reasons)
        assert "malformed JSON: nested too deeply" in reasons
        assert any(r.startswith("batch element 0: occurred_at is ") for r in reasons)
        assert "a resume.upserted event published under the routing key vacancy.upserted" in reasons
        assert any(r.startswith("batch element 0: unknown event type;") for r in reasons)
        # Rejected at once: no delayed retry (the shortest would add 0.2 + 0.5 s and say so in the reason).
        assert not any("attempt" in r for r in reasons)
        assert elapsed < 30
        # The surrogate's element is stored on its own, exactly as sent, and replays like any other letter.
        (stored,) = [r for r in letters if "title:" in r["reason"]]
        assert json.loads(bytes(stored["body"])) == surrogate
        assert await dead_letters_command(settings, "replay", [stored["id"]], everything=False) == 0
        await settle(db, settings)
        assert await db.fetchval("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL") == 5
        # The far-future event froze nothing: a real update of that resume now applies.
        await publish(settings, [posting("resume", 91, seed=3, version=2)])
        await wait_matched(db, {"vacancy": 6, "resume": 4})
        assert workers.stop() == [0, 0]
    logs = workers.log_text()
    assert '"dead-lettered"' in logs
    for fragment in ("ivan.petrov", "petrov", "Повар", "9999"):
        assert fragment not in logs and not any(fragment in r for r in reasons), fragment
