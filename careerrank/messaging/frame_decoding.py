"""AMQP frames decoded so that a producer's malformed strings cost that message alone, not the connection.

RabbitMQ passes a header table's keys and the short strings of a message's properties (``message_id``,
``type``, ``content_type``, ...) through as the producer wrote them, without checking that they are UTF-8.
pamqp (under aiormq and aio-pika) decodes those strictly: one key such as ``b"x-\\xff\\xfe"`` raises
``UnicodeDecodeError`` inside the frame reader, aiormq closes the whole connection, the robust connection
reconnects, and the broker delivers the same frame again, to this worker or the next. The message can never
be acked or dead-lettered, and every message behind it waits until the broker's delivery limit moves it away.

:func:`tolerate_malformed_strings` makes pamqp decode those strings with ``backslashreplace`` instead: a
valid key or string is decoded exactly as before; an invalid byte becomes the text ``\\xff``. The message
then reaches the consumer like any other, and is dead-lettered with its reason if its body is bad too. Tables
and arrays nested past :data:`MAX_DEPTH` are kept as raw bytes rather than decoded by recursion.
pamqp already decodes long strings (header values) this way in spirit: it returns their raw bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TypeVar

from pamqp import common, decode

_ERRORS = "backslashreplace"
# Tables and arrays nested deeper than this are kept as their raw bytes: a frame of 128 KiB can nest tens of
# thousands deep, and decoding that by recursion would raise RecursionError in the frame reader.
MAX_DEPTH = 32
_T = TypeVar("_T")
# How deep the decoding is now. Frames are decoded one at a time, synchronously, in the event loop's thread.
_depth = [0]


def short_str(value: bytes) -> tuple[int, str]:
    """pamqp's ``short_str``, tolerant of bytes that are not UTF-8."""
    try:
        length = common.Struct.byte.unpack(value[0:1])[0]
    except (struct.error, TypeError) as err:
        raise ValueError("Could not unpack short string value") from err
    return length + 1, value[1 : length + 1].decode("utf-8", _ERRORS)


def field_table(value: bytes) -> tuple[int, common.FieldTable | bytes]:
    """pamqp's ``field_table``, tolerant of keys that are not UTF-8 and of nesting past ``MAX_DEPTH``."""
    end, too_deep = _nested(value)
    if too_deep:
        return end, value[4:end]

    def entries() -> common.FieldTable:
        data: dict[str, common.FieldValue] = {}
        offset = 4
        while offset < end:
            key_length = common.Struct.byte.unpack_from(value, offset)[0]
            offset += 1
            if offset + key_length > end:
                raise ValueError("Field table key length exceeds data")
            key = value[offset : offset + key_length].decode("utf-8", _ERRORS)
            offset += key_length
            consumed, data[key] = decode.embedded_value(value[offset:])
            offset += consumed
        return data

    return end, _descending(entries)


def field_array(value: bytes) -> tuple[int, common.FieldArray | bytes]:
    """pamqp's ``field_array``, tolerant of nesting past ``MAX_DEPTH``."""
    end, too_deep = _nested(value)
    if too_deep:
        return end, value[4:end]

    def items() -> common.FieldArray:
        data: list[common.FieldValue] = []
        offset = 4
        while offset < end:
            consumed, result = decode.embedded_value(value[offset:])
            offset += consumed
            data.append(result)
        return data

    return end, _descending(items)


def _nested(value: bytes) -> tuple[int, bool]:
    """The end of a table or array, and whether it lies deeper than ``MAX_DEPTH``."""
    try:
        length = common.Struct.integer.unpack(value[0:4])[0]
    except (struct.error, TypeError) as err:
        raise ValueError("Could not unpack data") from err
    end = 4 + length
    if end > len(value):
        raise ValueError("Field table length exceeds available data")
    return end, _depth[0] >= MAX_DEPTH


def _descending(decoder: Callable[[], _T]) -> _T:
    _depth[0] += 1
    try:
        return decoder()
    except (struct.error, TypeError) as err:
        raise ValueError("Could not unpack data") from err
    finally:
        _depth[0] -= 1


def tolerate_malformed_strings() -> None:
    """Install the tolerant decoders in pamqp's dispatch tables (idempotent; process-wide)."""
    decode.METHODS["shortstr"] = short_str
    decode.METHODS["table"] = field_table
    decode.TABLE_MAPPING[b"F"] = field_table
    decode.TABLE_MAPPING[b"A"] = field_array


def tolerates_malformed_strings() -> bool:
    return decode.METHODS.get("table") is field_table and decode.TABLE_MAPPING.get(b"F") is field_table
