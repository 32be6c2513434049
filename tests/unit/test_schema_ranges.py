"""What the schema accepts, storage holds: timestamps and numbers at and past the ends of what PostgreSQL and
asyncpg can hold are refused with a reason naming the field, alone in a batch; a batch survives an element
that cannot be decoded (nested too deeply, a number too long, bad syntax); a single event under a batch key
is told what that key carries."""

from __future__ import annotations

import json
import math
import struct
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from pydantic import ValidationError

from schemas import POSTINGS, SCORING, IndexUpdate, InvalidEvent, parse_events
from schemas.envelope import MAX_BATCH_EVENTS, describe_errors
from schemas.json_array import element_spans
from tests.drawn_values import BASES, COLUMNS, INSIDE, OUTSIDE, Drawn, drawn, event, family_of

EVENT_TYPES = sorted(BASES)
DEEP = b"[" * 100_000 + b"]" * 100_000
RANGE_REASON = "outside the range that can be stored"


def body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def refused(raw: bytes, **kwargs: Any) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        parse_events(raw, **kwargs)
    return caught.value


# --- timestamps --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@pytest.mark.parametrize("moment", OUTSIDE)
def test_a_timestamp_storage_cannot_hold_is_refused_naming_the_field(event_type: str, moment: str) -> None:
    raw = body(event(event_type, occurred_at=moment))
    for key in (None, event_type):
        error = refused(raw, routing_key=key, family=family_of(event_type))
        assert error.code == "schema_invalid"
        assert error.reason.startswith(f"schema-invalid {event_type}: occurred_at: {RANGE_REASON}"), error.reason


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@pytest.mark.parametrize("moment", [OUTSIDE[0], OUTSIDE[4]])
def test_a_timestamp_storage_cannot_hold_is_refused_alone_in_a_batch(event_type: str, moment: str) -> None:
    family = family_of(event_type)
    elements = [event(event_type, event_id="a"), event(event_type, occurred_at=moment), event(event_type, event_id="c")]
    parsed = parse_events(body(elements), routing_key=family.batch_key, family=family)
    assert [getattr(p, "event_id", None) for p in parsed] == ["a", None, "c"]
    bad = parsed[1]
    assert isinstance(bad, InvalidEvent) and bad.code == "schema_invalid"
    assert bad.reason.startswith(f"batch element 1: schema-invalid {event_type}: occurred_at: {RANGE_REASON}")
    assert bad.body is not None and json.loads(bad.body) == elements[1]


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@pytest.mark.parametrize("moment", INSIDE)
def test_timestamps_just_inside_the_range_are_accepted_as_sent(event_type: str, moment: str) -> None:
    (parsed,) = parse_events(body(event(event_type, occurred_at=moment)), family=family_of(event_type))
    assert not isinstance(parsed, InvalidEvent)
    assert parsed.occurred_at == datetime.fromisoformat(moment)


@pytest.mark.parametrize("moment", OUTSIDE)
def test_an_index_update_version_storage_cannot_hold_is_refused(moment: str) -> None:
    update = {"kind": "vacancy", "id": "v-1", "op": "upsert", "version": moment}
    with pytest.raises(ValidationError) as caught:
        IndexUpdate.model_validate_json(body(update))
    assert describe_errors(caught.value).startswith(f"version: {RANGE_REASON}")
    accepted = IndexUpdate.model_validate_json(body({**update, "version": INSIDE[0]}))
    assert accepted.version == datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC)


def test_unix_times_at_the_ends_of_the_range_are_refused_too() -> None:
    # Numbers are read as seconds, or as milliseconds past 2e10: this one is the first instant of year 1.
    error = refused(body(event("vacancy.upserted", occurred_at=-62_135_596_800_000)))
    assert RANGE_REASON in error.reason


# --- numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "field", "literal"),
    [
        ("vacancy.upserted", "experience_years", "NaN"),
        ("vacancy.upserted", "experience_years", "Infinity"),
        ("resume.upserted", "experience_years", "-Infinity"),
        ("resume.upserted", "experience_years", "1e400"),
        ("vacancy.upserted", "salary_from", "NaN"),
        ("vacancy.upserted", "salary_to", "Infinity"),
        ("vacancy.upserted", "salary_from", "2147483648"),
        ("resume.upserted", "age", "1e400"),
        ("feedback.recorded", "position", "32768"),
        ("feedback.recorded", "position", "NaN"),
    ],
)
def test_numbers_storage_cannot_hold_are_refused_naming_the_field(event_type: str, field: str, literal: str) -> None:
    raw = Drawn(event_type, (field,), literal).single()
    error = refused(raw, family=family_of(event_type))
    assert error.code == "schema_invalid" and f": {field}: " in error.reason


def test_a_number_too_long_to_read_is_refused_alone() -> None:
    digits = sys.get_int_max_str_digits()
    drawn_value = Drawn("vacancy.upserted", ("salary_from",), "9" * (digits + 1))
    error = refused(drawn_value.single())
    assert (error.code, error.reason) == ("malformed_json", f"malformed JSON: a number of more than {digits} digits")
    parsed = parse_events(drawn_value.batch())
    assert [type(p).__name__ for p in parsed] == ["VacancyUpserted", "InvalidEvent", "VacancyUpserted"]
    assert parsed[1].reason == f"batch element 1: malformed JSON: a number of more than {digits} digits"
    assert parsed[1].body == drawn_value.element().encode()


# --- a batch with an element nested too deeply --------------------------------------------------------------


@pytest.mark.parametrize("family", [POSTINGS, SCORING], ids=["postings", "scoring"])
def test_an_element_nested_too_deeply_is_refused_alone(family: Any) -> None:
    event_type = family.types[0]
    # Neighbours whose strings hold brackets, commas and escaped quotes: none of them may split an element.
    tricky = 'a ] } [ { , " \\ \\" ]]'
    first = body(event(event_type, event_id=f"a{tricky}"))
    last = body(event(event_type, event_id="c"))
    raw = b"  [ " + first + b" ,\n" + DEEP + b"\t, " + last + b" ]\n"
    parsed = parse_events(raw, routing_key=family.batch_key, family=family)
    assert [getattr(p, "event_id", None) for p in parsed] == [f"a{tricky}", None, "c"]
    bad = parsed[1]
    assert isinstance(bad, InvalidEvent) and bad.code == "malformed_json"
    assert bad.reason == "batch element 1: malformed JSON: nested too deeply"
    assert bad.body == DEEP


def test_an_event_with_a_field_nested_too_deeply_is_refused_alone() -> None:
    deep_event = b'{"type": "vacancy.upserted", "skills": ' + DEEP + b"}"
    raw = b"[" + body(event("vacancy.upserted")) + b"," + deep_event + b"]"
    parsed = parse_events(raw)
    assert isinstance(parsed[1], InvalidEvent) and parsed[1].body == deep_event
    assert not isinstance(parsed[0], InvalidEvent)


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        (b'{"type": "vacancy.closed", "id": 01}', "JSONDecodeError at position 34"),
        (b'{"type": "vacancy.closed",}', "JSONDecodeError at position 26"),
        (b'"\xff\xfe"', "UnicodeDecodeError at position 1"),  # not UTF-8
        (b'{\x00"\x00a\x00"\x00:\x001\x00}\x00', "JSONDecodeError at position 1"),  # UTF-16 inside UTF-8
    ],
)
def test_an_element_with_bad_syntax_or_encoding_is_refused_alone(element: bytes, reason: str) -> None:
    good = body(event("vacancy.upserted"))
    parsed = parse_events(b"[" + good + b", " + element + b", " + good + b"]")
    assert [isinstance(p, InvalidEvent) for p in parsed] == [False, True, False]
    assert isinstance(parsed[1], InvalidEvent) and parsed[1].reason == f"batch element 1: malformed JSON: {reason}"
    assert parsed[1].body == element


def test_elements_at_every_depth_near_the_recursion_limit_keep_their_neighbours() -> None:
    good = body(event("vacancy.upserted"))
    for depth in range(900, 1_100, 3):
        deep_event = b'{"type": "vacancy.closed", "reason": ' + b"[" * depth + b"]" * depth + b"}"
        parsed = parse_events(b"[" + good + b"," + deep_event + b"," + good + b"]")
        assert [isinstance(p, InvalidEvent) for p in parsed] == [False, True, False], depth
        assert isinstance(parsed[1], InvalidEvent) and parsed[1].body is not None


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 200_000,
        b"[" + body(event("vacancy.upserted")) + b"," + DEEP,  # never closed
        b"[" + DEEP + b"] trailing",
        b"[" + DEEP + b",]",
        b"[" + DEEP + b",," + body(event("vacancy.upserted")) + b"]",
        b"[" + DEEP[:-1] + b"}]",  # a mismatched bracket: where the element ends is unknowable
        b"[" + DEEP + b', "unterminated]',
        ("[" + DEEP.decode() + "]").encode("utf-16-le"),
        ("[" + DEEP.decode() + "]").encode("utf-16-be"),
    ],
)
def test_a_deep_body_that_is_not_one_array_is_refused_whole(raw: bytes) -> None:
    error = refused(raw)
    assert (error.code, error.reason) == ("malformed_json", "malformed JSON: nested too deeply")


def test_a_deep_batch_of_too_many_elements_is_refused_whole() -> None:
    raw = b"[" + b"{}," * MAX_BATCH_EVENTS + DEEP + b"]"
    error = refused(raw)
    assert (error.code, error.reason) == ("too_large", f"batch too large: more than {MAX_BATCH_EVENTS} events")


@pytest.mark.parametrize(
    ("raw", "spans"),
    [
        (b"[]", []),
        (b' [ 1 , "a" ,{"b": [1, {}]}, null ] ', [b"1", b'"a"', b'{"b": [1, {}]}', b"null"]),
        (b'["\\\\", "\\"]", "]"]', [b'"\\\\"', b'"\\"]"', b'"]"']),
        (b"[1 2, 3]", [b"1 2", b"3"]),  # not a value, but an element of its own: decoding it says so
        (b"[1,]", None),
        (b"[1", None),
        (b"[1]]", None),
        (b"[{]}]", None),
        (b"{}", None),
        (b'["\\"]', None),
    ],
)
def test_element_spans(raw: bytes, spans: list[bytes] | None) -> None:
    split = element_spans(raw, limit=10)
    assert (None if split is None else split.spans) == spans
    if split is not None:
        assert split.count == len(split.spans)


def test_element_spans_stop_past_the_limit() -> None:
    many = element_spans(b"[" + b",".join([b"{}"] * 12) + b", " + DEEP, limit=10)
    assert many is not None and many.count == 11 and many.spans == [b"{}"] * 10


# --- routing keys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", [POSTINGS, SCORING], ids=["postings", "scoring"])
def test_a_single_event_under_a_batch_key_is_told_that_the_key_carries_an_array(family: Any) -> None:
    error = refused(body(event(family.types[0])), routing_key=family.batch_key, family=family)
    assert error.code == "routing_mismatch"
    assert error.reason == (
        f"a message under the routing key {family.batch_key!r} is a JSON array of events; got a JSON object"
    )
    assert "got something else" in refused(b'"x"', routing_key=family.batch_key, family=family).reason


# --- anything drawn ----------------------------------------------------------------------------------------


def storable(field: str, value: Any) -> bool:
    """Whether asyncpg can write ``value`` to the column that stores ``field``, and read it back as sent.

    A model of asyncpg's encoders: a timestamp is converted to UTC, and the first and last microsecond of
    Python's range become -infinity and infinity; integers are checked against the column's width; a float
    is narrowed to a 32-bit float for ``real``.
    """
    column = COLUMNS[field]
    if value is None:
        return column != "timestamptz"
    if column == "timestamptz":
        try:
            utc = value.astimezone(UTC)
        except OverflowError:
            return False
        return utc not in (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    if column in ("integer", "smallint"):
        bits = 32 if column == "integer" else 16
        return isinstance(value, int) and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    if column == "real":
        try:
            return math.isfinite(struct.unpack("f", struct.pack("f", value))[0])
        except OverflowError:
            return False
    json.dumps(value, allow_nan=False)  # jsonb: any finite JSON number
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=drawn)
@example(value=Drawn("vacancy.closed", ("occurred_at",), '"0001-01-01T00:00:00+14:00"'))
@example(value=Drawn("feedback.recorded", ("occurred_at",), '"9999-12-31T23:00:00-05:00"'))
@example(value=Drawn("resume.upserted", ("experience_years",), "NaN"))
@example(value=Drawn("application.submitted", ("occurred_at",), "-62135596800000"))
def test_any_drawn_value_is_refused_with_a_reason_or_storable(value: Drawn) -> None:
    family = family_of(value.event_type)
    try:
        (single,) = parse_events(value.single(), routing_key=value.event_type, family=family)
    except InvalidEvent as exc:
        assert exc.code in {"schema_invalid", "malformed_json"}
        assert f": {value.field}" in exc.reason or exc.reason.startswith("malformed JSON"), exc.reason
        single = None
    else:
        assert storable(value.field, value.read(single)), value
    first, middle, last = parse_events(value.batch(), routing_key=family.batch_key, family=family)
    assert not isinstance(first, InvalidEvent) and not isinstance(last, InvalidEvent)
    assert isinstance(middle, InvalidEvent) == (single is None)
    if isinstance(middle, InvalidEvent):
        assert middle.reason.startswith("batch element 1: ") and middle.body is not None
