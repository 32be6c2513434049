"""Parsing of raw broker bodies into typed events, with a reason for every rejection."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from schemas.closures import ResumeClosed, VacancyClosed
from schemas.kinds import Kind
from schemas.postings import ResumeUpserted, VacancyUpserted

Upsert = VacancyUpserted | ResumeUpserted
Closure = VacancyClosed | ResumeClosed
Event = Annotated[Upsert | Closure, Field(discriminator="type")]

EVENT_TYPES = ("vacancy.upserted", "resume.upserted", "vacancy.closed", "resume.closed")
MAX_BODY_BYTES = 1_048_576
# A message may carry several events (a JSON array): at most this many, in at most this many bytes.
MAX_BATCH_EVENTS = 1000
MAX_BATCH_BODY_BYTES = 16 * MAX_BODY_BYTES
BATCH_ROUTING_KEY = "batch"
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


def kind_of(event: Upsert | Closure) -> Kind:
    """``"vacancy"`` or ``"resume"``."""
    return "vacancy" if event.type.startswith("vacancy.") else "resume"


def parse_event(body: bytes) -> Upsert | Closure:
    """Decode and validate one event; raise :class:`InvalidEvent` with a loggable reason."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEvent("too_large", f"message too large: {len(body)} bytes > {MAX_BODY_BYTES}")
    data = _decode(body)
    if not isinstance(data, dict):
        raise InvalidEvent("not_an_object", f"malformed event: expected a JSON object, got {type(data).__name__}")
    return _validate(data)


def parse_events(body: bytes) -> list[Upsert | Closure | InvalidEvent]:
    """Events of a message: one JSON object, or a JSON array of up to ``MAX_BATCH_EVENTS`` of them.

    A producer that has many changes at once sends several per message (far fewer publishes, confirms and
    acks). Each element is validated on its own: an invalid one comes back as its :class:`InvalidEvent`, in
    place, so it alone is dead-lettered. A body that is neither raises :class:`InvalidEvent`.
    """
    if body.lstrip()[:1] != b"[":
        return [parse_event(body)]
    if len(body) > MAX_BATCH_BODY_BYTES:
        raise InvalidEvent("too_large", f"message too large: {len(body)} bytes > {MAX_BATCH_BODY_BYTES}")
    data = _decode(body)
    if not isinstance(data, list) or not data:
        raise InvalidEvent("not_an_object", "malformed batch: expected a non-empty JSON array of events")
    if len(data) > MAX_BATCH_EVENTS:
        raise InvalidEvent("too_large", f"batch too large: {len(data)} events > {MAX_BATCH_EVENTS}")
    out: list[Upsert | Closure | InvalidEvent] = []
    for index, element in enumerate(data):
        try:
            if not isinstance(element, dict):
                raise InvalidEvent(
                    "not_an_object", f"malformed event: expected a JSON object, got {type(element).__name__}"
                )
            out.append(_validate(element))
        except InvalidEvent as exc:
            out.append(InvalidEvent(exc.code, f"batch element {index}: {exc.reason}"))
    return out


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(
            "malformed_json", f"malformed JSON: {exc.__class__.__name__} at position {_position(exc)}"
        ) from exc


def _validate(data: dict[str, Any]) -> Upsert | Closure:
    event_type = data.get("type")
    if event_type not in EVENT_TYPES:
        # Echo the type back only when it looks like one: producer strings never reach logs unchecked.
        shown = event_type if isinstance(event_type, str) and _TYPE_LIKE.match(event_type) else "<unprintable>"
        raise InvalidEvent("unknown_type", f"unknown event type {shown!r}; expected one of {', '.join(EVENT_TYPES)}")
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        described = describe_errors(exc, tagged=True)
        code = "empty_text" if "empty text" in described else "schema_invalid"
        raise InvalidEvent(code, f"schema-invalid {event_type}: {described}") from exc


def describe_errors(exc: ValidationError, limit: int = 5, *, tagged: bool = False) -> str:
    """Field paths and messages only: input values may hold personal data and never reach logs.

    ``tagged``: the error comes from the event union, whose paths start with the event type.
    """
    parts = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False)[:limit]:
        # Paths name our fields, but an unexpected key is the producer's string: shown only if it looks like one.
        path = error["loc"][1:] if tagged else error["loc"]
        loc = ".".join(_loc_part(p) for p in path) or "event"
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
