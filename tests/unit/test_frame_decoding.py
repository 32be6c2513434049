"""The tolerant AMQP decoders: what a valid frame holds decodes exactly as pamqp decodes it; keys and short
strings that are not UTF-8 come back escaped; nesting past the limit comes back as bytes, never as a
RecursionError in the frame reader."""

from __future__ import annotations

import struct
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pamqp import decode, encode

from careerrank.messaging import frame_decoding
from careerrank.messaging.frame_decoding import MAX_DEPTH, field_table, short_str, tolerate_malformed_strings


def raw_table(*entries: tuple[bytes, bytes]) -> bytes:
    """A field table of ``(key bytes, encoded value)`` entries, as a producer may send it."""
    body = b"".join(struct.pack(">B", len(key)) + key + value for key, value in entries)
    return struct.pack(">I", len(body)) + body


def long_string_value(data: bytes) -> bytes:
    return b"S" + struct.pack(">I", len(data)) + data


def test_pamqp_alone_cannot_decode_a_key_that_is_not_utf8() -> None:
    frame = raw_table((b"x-\xff\xfe", long_string_value(b"v")))
    with pytest.raises(UnicodeDecodeError):
        decode.field_table(frame)  # pamqp's own: why the connection dropped on every delivery


def test_a_key_that_is_not_utf8_comes_back_escaped() -> None:
    frame = raw_table((b"x-\xff\xfe", long_string_value(b"v")), (b"x-a\x00b", long_string_value(b"\xff")))
    consumed, table = field_table(frame)
    assert consumed == len(frame)
    assert table == {"x-\\xff\\xfe": "v", "x-a\x00b": b"\xff"}


def test_a_short_string_that_is_not_utf8_comes_back_escaped() -> None:
    assert short_str(b"\x03a\xffb") == (4, "a\\xffb")
    assert short_str(b"\x02ok") == (3, "ok")


def nested(depth: int) -> dict[str, Any]:
    table: dict[str, Any] = {"leaf": 1}
    for i in range(depth):
        table = {"t": table} if i % 2 else {"a": [table]}
    return table


def test_nesting_past_the_limit_is_kept_as_bytes() -> None:
    tolerate_malformed_strings()
    frame = encode.field_table(nested(150))
    consumed, table = field_table(frame)
    assert consumed == len(frame)
    depth, value = 0, cast(Any, table)
    while not isinstance(value, bytes):  # tables and arrays alike count as a level
        value = value[0] if isinstance(value, list) else value["t"] if "t" in value else value["a"]
        depth += 1
    assert isinstance(value, bytes) and depth <= MAX_DEPTH + 1
    assert frame_decoding._depth == [0]  # the depth is unwound, whatever was decoded


def test_a_table_cut_short_is_a_value_error() -> None:
    frame = raw_table((b"key", long_string_value(b"value")))
    with pytest.raises(ValueError):
        field_table(frame[:-3])
    assert frame_decoding._depth == [0]


_KEYS = st.text(min_size=1, max_size=30).filter(lambda k: len(k.encode()) <= 128)
_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=50),
    st.none(),
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3))


_VALUES = st.recursive(_SCALARS, _containers, max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_valid_tables_decode_as_pamqp_decodes_them(table: dict[str, Any]) -> None:
    tolerate_malformed_strings()
    frame = encode.field_table(table)
    assert field_table(frame) == (len(frame), decode_as_pamqp(frame))


def decode_as_pamqp(frame: bytes) -> Any:
    """pamqp's own decoding of a table whose strings are valid (its dispatch tables restored meanwhile)."""
    saved = dict(decode.TABLE_MAPPING), dict(decode.METHODS)
    decode.TABLE_MAPPING.update({b"F": decode.field_table, b"A": decode.field_array})
    decode.METHODS.update({"table": decode.field_table, "shortstr": decode.short_str})
    try:
        return decode.field_table(frame)[1]
    finally:
        decode.TABLE_MAPPING.update(saved[0])
        decode.METHODS.update(saved[1])
