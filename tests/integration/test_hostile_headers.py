"""Hostile AMQP headers through the real broker and workers: header keys that are not UTF-8, NUL in keys and
values, every field type, deep nesting and huge tables. Each such message costs itself alone: it is
dead-lettered with its reason and a row in ``dead_letters``, and a good event published after it is applied
within seconds, on the same connection (no reconnects)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import aio_pika
import asyncpg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from careerrank.messaging import Names
from careerrank.settings import Settings
from tests.integration.pipeline import posting, running_workers
from workers.bootstrap import build
from workers.dead_letters import REASON_HEADER

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T = TypeVar("T")


class RawText(str):
    """Text that a producer sends as raw bytes: surrogate escapes (``\\udcff``) go on the wire as the bytes they
    stand for, so a header key or value can be any bytes at all, UTF-8 or not."""

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return str.encode(self, encoding, "surrogateescape")


def raw(data: bytes) -> RawText:
    return RawText(data.decode("utf-8", "surrogateescape"))


async def publish_raw(settings: Settings, routing_key: str, body: bytes, headers: dict[str, Any]) -> None:
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(Names.of(settings.amqp).events)
        await exchange.publish(aio_pika.Message(body, headers=headers, delivery_mode=2), routing_key=routing_key)


async def until(check: Callable[[], Coroutine[Any, Any, T]], expected: T, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while (got := await check()) != expected:
        assert time.monotonic() < deadline, f"{got!r}, expected {expected!r}"
        await asyncio.sleep(0.05)


def connection_losses(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "connection lost" in r.getMessage()]


@pytest.mark.parametrize(
    "key",
    [raw(b"x-\xff\xfe"), "x-a\x00b", raw(b"\xc3(\x00\xed\xa0\x80")],
    ids=["not-utf8", "nul", "nul-and-surrogate-bytes"],
)
async def test_a_hostile_header_key_costs_that_message_alone(
    key: str, settings: Settings, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_workers(settings):
        await publish_raw(settings, "vacancy.upserted", b"this is not JSON", {key: "v", "x-nested": {key: [key]}})
        good = posting("vacancy", 1)
        started = time.monotonic()
        await publish_raw(settings, "vacancy.upserted", good.model_dump_json().encode(), {})
        applied = "SELECT count(*) FROM vacancies WHERE id = 'v1' AND matched_version = version"
        await until(lambda: db.fetchval(applied), 1)
        assert time.monotonic() - started < 10
        await until(lambda: db.fetchval("SELECT count(*) FROM dead_letters"), 1)
    letter = await db.fetchrow("SELECT queue, reason, body, headers FROM dead_letters")
    assert letter["reason"].startswith("malformed JSON")
    assert bytes(letter["body"]) == b"this is not JSON"
    headers = json.loads(letter["headers"])
    assert headers[REASON_HEADER] == letter["reason"]
    stored_keys = [k for k in headers if k.startswith(("x-\\x", "x-a", "\\x", "\\udc", "\u00c3"))]
    assert len(stored_keys) == 1, headers  # the key, escaped, not dropped
    assert "\x00" not in json.dumps(headers)
    assert not connection_losses(caplog)
    assert await db.fetchval("SELECT count(*) FROM processed_events") == 1


async def test_a_hostile_header_key_on_the_scorers_queue(
    settings: Settings, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    scorer = build("scorer", settings)
    await scorer.start()
    try:
        await publish_raw(settings, "application.submitted", b"{not json", {raw(b"x-\xff\xfe"): 1, "x-\x00": "\x00"})
        good = {
            "type": "application.submitted",
            "event_id": "a1",
            "occurred_at": "2026-01-01T10:00:00Z",
            "vacancy_id": "v1",
            "resume_id": "r1",
        }
        await publish_raw(settings, "application.submitted", json.dumps(good).encode(), {})
        await until(lambda: db.fetchval("SELECT count(*) FROM applications"), 1)
        await until(lambda: db.fetchval("SELECT count(*) FROM dead_letters"), 1)
    finally:
        await scorer.stop()
    assert (await db.fetchval("SELECT queue FROM dead_letters")) == Names.of(settings.amqp).scorer_queue
    assert not connection_losses(caplog)


# Every AMQP field type a producer can put in a header table (RabbitMQ's errata table), with keys of any bytes.
_KEYS = st.one_of(
    st.binary(min_size=1, max_size=40).map(raw),
    st.text(min_size=1, max_size=40),
    st.sampled_from(["x-death", "x-delivery-count", "x-careerrank-attempt", "x-published-at", "x-\x00"]),
)
_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    # pamqp sends a float as 32 bits; RabbitMQ itself refuses NaN and infinities (it closes the connection).
    st.floats(width=32, allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6),
    st.binary(max_size=200).map(raw),
    st.binary(max_size=200).map(bytearray),
    st.text(max_size=200),
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.none(),
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4))


_VALUES = st.recursive(_SCALARS, _containers, max_leaves=20)
_TABLES = st.one_of(
    st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=8),
    st.integers(1, 150).map(lambda depth: _nested(depth)),  # deeper than the workers decode (32)
    st.integers(1, 12).map(lambda n: {f"x-huge-{i}": "ž" * 4000 for i in range(n)}),  # up to ~96 KB
)


def _nested(depth: int) -> dict[str, Any]:
    table: dict[str, Any] = {"leaf": Decimal("1.5")}
    for i in range(depth):
        table = {f"t{i % 7}": table} if i % 2 else {"a": [table]}
    return table


@pytest.mark.timeout(240)
async def test_drawn_header_tables_never_stop_the_workers(
    settings: Settings, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    loop = asyncio.get_running_loop()
    drawn = 0

    async def one(headers: dict[str, Any]) -> None:
        nonlocal drawn
        drawn += 1
        letters = await db.fetchval("SELECT count(*) FROM dead_letters")
        await publish_raw(settings, "resume.upserted", b'{"type": "resume.upserted"', headers)
        good = posting("resume", drawn)
        await publish_raw(settings, "resume.upserted", good.model_dump_json().encode(), {})
        applied = "SELECT count(*) FROM resumes WHERE id = $1 AND matched_version = version"
        await until(lambda: db.fetchval(applied, good.id), 1)
        await until(lambda: db.fetchval("SELECT count(*) FROM dead_letters"), letters + 1)

    @hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(_TABLES)
    def trial(headers: dict[str, Any]) -> None:
        asyncio.run_coroutine_threadsafe(one(headers), loop).result(timeout=60)

    async with running_workers(settings):
        await asyncio.to_thread(trial)
    assert drawn >= 40
    assert not connection_losses(caplog)
    reasons = {r["reason"] for r in await db.fetch("SELECT reason FROM dead_letters")}
    assert all(r.startswith("malformed JSON") for r in reasons), reasons
