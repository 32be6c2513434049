"""The elements of a JSON array as the bytes they were sent as, found without recursion, and decoded alone.

``json.loads`` descends one stack frame per level of nesting, so a single element nested deeper than the
interpreter's recursion limit fails a whole batch message; so does one number too long to convert, or one
syntax error inside an element. This scanner walks the array with a stack of its own instead: each element
can then be decoded, or refused, on its own.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

_WHITESPACE = b" \t\n\r"
_STRING = rb'"(?:[^"\\]++|\\.)*+"'
_FLAT = rb"(?:" + _STRING + rb'|[^"\[\]{}]++)*+'
_INNERMOST = rb"\[" + _FLAT + rb"\]|\{" + _FLAT + rb"\}"
# Strings, other bytes than brackets, and innermost containers (no bracket inside) are passed over in one
# match, by the regular expression engine; within an element, commas too. Only the brackets of containers
# that hold others are left to the loop. Every quantifier is possessive: nothing is tried twice.
_SKIP_INSIDE = re.compile(rb"(?:" + _STRING + rb'|[^"\[\]{}]++|' + _INNERMOST + rb")*+", re.DOTALL)
_SKIP_BETWEEN = re.compile(rb"(?:" + _STRING + rb'|[^"\[\]{},]++|' + _INNERMOST + rb")*+", re.DOTALL)
_OPENING = re.compile(rb"[\[{]+")
_CLOSING = re.compile(rb"[\]}]+")
_OPENERS = bytes.maketrans(b"]}", b"[{")


@dataclass(frozen=True, slots=True)
class Undecodable:
    """An element that cannot be decoded: why, in words safe to log, and its bytes as sent."""

    reason: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Elements:
    """The bytes of an array's elements; ``count`` past the limit asked for means there are more than that."""

    count: int
    spans: list[bytes]


def element_spans(body: bytes, limit: int) -> Elements | None:
    """The elements of the JSON array ``body``, each its bytes with the whitespace around it stripped.

    None when ``body`` is not one array whose brackets pair up and whose strings end (a bracket left open or
    closed by the wrong kind, an empty element, anything but whitespace after the array): where its elements
    begin and end cannot be told then. What lies between the brackets is not checked: decoding an element
    does that. The scan stops at element ``limit + 1``.
    """
    start = len(body) - len(body.lstrip(_WHITESPACE))
    if body[start : start + 1] != b"[":
        return None
    spans: list[bytes] = []
    # The brackets open inside the current element, innermost last.
    stack = bytearray()
    element_start = pos = start + 1
    while True:
        pos += len(_run(_SKIP_INSIDE if stack else _SKIP_BETWEEN, body, pos))
        byte = body[pos : pos + 1]
        if byte == b",":  # between elements: inside one, the skip took it
            span = body[element_start:pos].strip(_WHITESPACE)
            if not span:
                return None
            spans.append(span)
            if len(spans) > limit:
                return Elements(len(spans), spans[:limit])
            element_start = pos = pos + 1
        elif byte in (b"[", b"{"):
            opening = _run(_OPENING, body, pos)
            stack += opening
            pos += len(opening)
        elif byte in (b"]", b"}"):
            token = _run(_CLOSING, body, pos)
            closed = min(len(token), len(stack))
            if token[:closed].translate(_OPENERS) != stack[len(stack) - closed :][::-1]:
                return None
            del stack[len(stack) - closed :]
            if closed < len(token):
                # This bracket closes the array itself: it must be the last one, and a square one.
                end = pos + closed
                if token[closed:] != b"]" or body[end + 1 :].strip(_WHITESPACE):
                    return None
                span = body[element_start:end].strip(_WHITESPACE)
                if span:
                    spans.append(span)
                elif spans:
                    return None
                return Elements(len(spans), spans[:limit])
            pos += len(token)
        else:  # the end of the body, or a string that never ends
            return None


def _run(pattern: re.Pattern[bytes], body: bytes, pos: int) -> bytes:
    match = pattern.match(body, pos)
    return match.group() if match is not None else b""


def decode_element(span: bytes) -> Any:
    """The JSON value ``span`` holds, or its :class:`Undecodable`."""
    try:
        # UTF-8 only: json.loads would take bytes in UTF-16 or UTF-32 too, and one element of a UTF-8 array
        # written in another encoding is no JSON value of that array.
        return json.loads(span.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        return Undecodable(why_undecodable(exc), span)


def why_undecodable(exc: ValueError | RecursionError) -> str:
    """Why ``json.loads`` failed, without quoting the body: the kind of fault and where."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else exc.start
        return f"{exc.__class__.__name__} at position {position}"
    # The only other error json.loads raises: an integer longer than int() converts.
    return f"a number of more than {sys.get_int_max_str_digits()} digits"
