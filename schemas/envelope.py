"""Parsing of raw broker bodies into typed events, with a reason for every rejection."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from schemas.closures import ResumeClosed, VacancyClosed
from schemas.postings import ResumeUpserted, VacancyUpserted

Upsert = VacancyUpserted | ResumeUpserted
Closure = VacancyClosed | ResumeClosed
Event = Annotated[Upsert | Closure, Field(discriminator="type")]

EVENT_TYPES = ("vacancy.upserted", "resume.upserted", "vacancy.closed", "resume.closed")
MAX_BODY_BYTES = 1_048_576
_TYPE_LIKE = re.compile(r"^[a-z_.]{1,40}$")
_FIELD_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")

_adapter: TypeAdapter[Upsert | Closure] = TypeAdapter(Event)


class InvalidEvent(ValueError):
    """The body can never become a valid event.

    ``code`` is one of a fixed set (a metric label); ``reason`` is safe to log: it holds no field values.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def kind_of(event: Upsert | Closure) -> str:
    """``"vacancy"`` or ``"resume"``."""
    return event.type.split(".", 1)[0]


def parse_event(body: bytes) -> Upsert | Closure:
    """Decode and validate one event; raise :class:`InvalidEvent` with a loggable reason."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEvent("too_large", f"message too large: {len(body)} bytes > {MAX_BODY_BYTES}")
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(
            "malformed_json", f"malformed JSON: {exc.__class__.__name__} at position {_position(exc)}"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidEvent("not_an_object", f"malformed event: expected a JSON object, got {type(data).__name__}")
    event_type = data.get("type")
    if event_type not in EVENT_TYPES:
        # Echo the type back only when it looks like one: producer strings never reach logs unchecked.
        shown = event_type if isinstance(event_type, str) and _TYPE_LIKE.match(event_type) else "<unprintable>"
        raise InvalidEvent("unknown_type", f"unknown event type {shown!r}; expected one of {', '.join(EVENT_TYPES)}")
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        described = describe_errors(exc)
        code = "empty_text" if "empty text" in described else "schema_invalid"
        raise InvalidEvent(code, f"schema-invalid {event_type}: {described}") from exc


def describe_errors(exc: ValidationError, limit: int = 5) -> str:
    """Field paths and messages only: input values may hold personal data and never reach logs."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False)[:limit]:
        # Paths name our fields, but an unexpected key is the producer's string: shown only if it looks like one.
        loc = ".".join(_loc_part(p) for p in error["loc"][1:]) or "event"
        parts.append(f"{loc}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def json_schema() -> dict[str, Any]:
    """The JSON Schema producers validate against before publishing."""
    schema = _adapter.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "CareerRank event"
    return schema


def _loc_part(part: str | int) -> str:
    return str(part) if isinstance(part, int) or _FIELD_LIKE.match(part) else "<field>"


def _position(exc: Exception) -> int:
    return int(getattr(exc, "pos", getattr(exc, "start", 0)))
