"""Dead letters whatever their headers hold: headers made storable (keys too, at any depth), and a letter
PostgreSQL still refuses stored without them, counted, instead of looping."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import aio_pika
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from careerrank.errors import StorageRefused
from careerrank.observability import PipelineMetrics
from careerrank.storage.dead_letters import storable_headers
from tests.unit.fakes import FakeDatabase, FakeDeadLetters, FakeSession
from workers.dead_letters import HEADERS_DROPPED_HEADER, REASON_HEADER, DeadLetterSink


def jsonb_would_refuse(text: str) -> bool:
    """What PostgreSQL's jsonb refuses in a document: NUL, lone surrogates (escaped or not), NaN, infinities."""

    def constant(name: str) -> Any:
        raise ValueError(name)

    try:
        document = json.loads(text, parse_constant=constant)
        plain = json.dumps(document, ensure_ascii=False)
        plain.encode("utf-8")  # a lone surrogate cannot be encoded
    except (ValueError, UnicodeEncodeError):
        return True
    return "\\u0000" in plain  # json writes NUL as this escape, which jsonb refuses


def test_keys_and_values_are_made_storable_at_any_depth() -> None:
    headers = {
        "x-a\x00b": "v\x00",
        "x-\udcff": {"in\x00ner": ["\udcfe", float("nan"), b"\xff\x00", bytearray(b"ok")]},
        "when": dt.datetime(2026, 1, 1),
        "amount": Decimal("1.50"),
        "n": 1,
        "f": 0.5,
        "none": None,
        "yes": True,
    }
    stored = storable_headers(headers)
    text = json.dumps(stored, allow_nan=True)
    assert not jsonb_would_refuse(text), text
    assert stored["x-a\\x00b"] == "v\\x00"
    assert stored["x-\\udcff"]["in\\x00ner"] == ["\\udcfe", "nan", "\\xff\\x00", "ok"]
    assert (stored["n"], stored["f"], stored["none"], stored["yes"]) == (1, 0.5, None, True)


_KEYS = st.text(max_size=20)  # hypothesis draws NUL and every code point but surrogates; add those
_TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["\udcff", "a\x00", "\ud800x"]))
_LEAVES = st.one_of(_TEXT, st.binary(max_size=20), st.floats(), st.integers(), st.booleans(), st.none(), st.decimals())


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.one_of(_KEYS, _TEXT), inner, max_size=3))


_TABLES = st.recursive(_LEAVES, _containers, max_leaves=15)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.one_of(_KEYS, _TEXT), _TABLES, max_size=5))
def test_every_drawn_header_table_becomes_a_document_jsonb_holds(headers: dict[str, Any]) -> None:
    assert not jsonb_would_refuse(json.dumps(storable_headers(headers), allow_nan=True))


class RefusingDeadLetters(FakeDeadLetters):
    """PostgreSQL refusing the headers of a letter as they are (whatever the cause)."""

    async def record(self, queue: str, reason: str, body: bytes, headers: Mapping[str, Any]) -> int:
        if HEADERS_DROPPED_HEADER not in headers:
            raise StorageRefused("UntranslatableCharacterError")
        self.kept_headers = dict(headers)
        return await super().record(queue, reason, body, headers)


class Exchange:
    def __init__(self) -> None:
        self.published: list[tuple[str, aio_pika.Message]] = []

    async def publish(self, message: aio_pika.Message, routing_key: str) -> None:
        self.published.append((routing_key, message))


class Message:
    content_type = None
    message_id = None

    def __init__(self) -> None:
        self.body = b"not JSON"
        self.headers = {"x-\x00": "v"}
        self.acked = False

    async def ack(self) -> None:
        self.acked = True


class RefusingDatabase(FakeDatabase):
    def __init__(self) -> None:
        super().__init__()
        self.refusing = RefusingDeadLetters(self)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[FakeSession]:
        session = FakeSession(self)
        session.dead_letters = self.refusing
        yield session


async def test_a_letter_refused_with_its_headers_is_stored_without_them() -> None:
    database = RefusingDatabase()
    refusing = database.refusing
    metrics = PipelineMetrics(CollectorRegistry())
    exchange = Exchange()
    sink = DeadLetterSink("embedder", "q.embedder", exchange, database, metrics)  # type: ignore[arg-type]
    message = Message()
    await sink.send(message, "malformed_json", "malformed JSON: JSONDecodeError at position 0")  # type: ignore[arg-type]
    assert database.state.dead_letters == [("q.embedder", "malformed JSON: JSONDecodeError at position 0", b"not JSON")]
    assert refusing.kept_headers == {HEADERS_DROPPED_HEADER: "the headers could not be stored"}
    assert message.acked  # out of its loop
    ((_, copy),) = exchange.published
    assert copy.headers is not None and str(copy.headers[REASON_HEADER]).startswith("malformed JSON")
    assert metrics.registry.get_sample_value("careerrank_dead_letters_reduced_total", {"worker": "embedder"}) == 1
