"""Parsing of raw broker bodies into typed events, with a reason for every rejection.

Events come in two families, each consumed by its own worker and published under its own routing keys:
postings (vacancies and resumes, upserted or closed: the embedder) and scoring (applications and recruiter
feedback: the scorer). A batch message holds events of one family, under that family's batch key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field, TypeAdapter, ValidationError

from schemas.applications import ApplicationSubmitted, ApplicationWithdrawn
from schemas.closures import ResumeClosed, VacancyClosed
from schemas.feedback import FeedbackRecorded
from schemas.index_updates import IndexUpdate
from schemas.json_array import Undecodable, decode_element, element_spans, why_undecodable
from schemas.kinds import Kind
from schemas.postings import ResumeUpserted, VacancyUpserted
from schemas.profiles import Education, LanguageSkill, WorkPeriod

Upsert = VacancyUpserted | ResumeUpserted
Closure = VacancyClosed | ResumeClosed
Event = Annotated[Upsert | Closure, Field(discriminator="type")]
ApplicationEvent = ApplicationSubmitted | ApplicationWithdrawn
ScoringEvent = ApplicationEvent | FeedbackRecorded

EVENT_TYPES = ("vacancy.upserted", "resume.upserted", "vacancy.closed", "resume.closed")
SCORING_TYPES = ("application.submitted", "application.withdrawn", "feedback.recorded")
MAX_BODY_BYTES = 1_048_576
# A message may carry several events (a JSON array): at most this many, in at most this many bytes.
MAX_BATCH_EVENTS = 1000
MAX_BATCH_BODY_BYTES = 16 * MAX_BODY_BYTES
BATCH_ROUTING_KEY = "batch"
SCORING_BATCH_ROUTING_KEY = "scoring.batch"
_BOM = b"\xef\xbb\xbf"

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Family(Generic[E]):
    """The event types one worker consumes, their batch routing key and their validator."""

    types: tuple[str, ...]
    batch_key: str
    adapter: TypeAdapter[E]


POSTINGS: Family[Upsert | Closure] = Family(EVENT_TYPES, BATCH_ROUTING_KEY, TypeAdapter(Event))
SCORING: Family[ScoringEvent] = Family(
    SCORING_TYPES,
    SCORING_BATCH_ROUTING_KEY,
    TypeAdapter(Annotated[ScoringEvent, Field(discriminator="type")]),
)
_ALL: TypeAdapter[Any] = TypeAdapter(Annotated[Upsert | Closure | ScoringEvent, Field(discriminator="type")])
# The only names a reason may show as a path: fields of our models (and of the index updates, which share
# describe_errors).
_OUR_FIELDS = frozenset(
    name
    for model in (
        VacancyUpserted,
        ResumeUpserted,
        VacancyClosed,
        ResumeClosed,
        ApplicationSubmitted,
        ApplicationWithdrawn,
        FeedbackRecorded,
        IndexUpdate,
        WorkPeriod,
        Education,
        LanguageSkill,
    )
    for name in model.model_fields
)


class InvalidEvent(ValueError):
    """The body can never become a valid event.

    ``code`` is one of a fixed set (a metric label); ``reason`` is safe to log: it holds no string the producer
    sent (no field values, no unknown type names or keys), only our own words, field names and numbers.
    ``body``: for an element of a batch message, that element alone: as JSON in ASCII when it was decoded (so
    that it can always be stored and replayed, whatever it holds), or its bytes as sent when it could not be.
    """

    def __init__(self, code: str, reason: str, body: bytes | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.body = body


def kind_of(event: Upsert | Closure) -> Kind:
    """``"vacancy"`` or ``"resume"``."""
    return "vacancy" if event.type.startswith("vacancy.") else "resume"


def parse_event(
    body: bytes,
    *,
    routing_key: str | None = None,
    not_after: datetime | None = None,
    family: Family[Any] = POSTINGS,
) -> Any:
    """Decode and validate one event of ``family``; raise :class:`InvalidEvent` with a loggable reason.

    ``routing_key``: the key it was published with, which must name its type (see :func:`parse_events`);
    ``not_after``: the latest ``occurred_at`` accepted (now plus the allowed clock skew).
    """
    body = _without_bom(body)
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEvent("too_large", f"message too large: {len(body)} bytes > {MAX_BODY_BYTES}")
    _check_key(family, routing_key, batch=False, body=body)
    data = _decode(body)
    if not isinstance(data, dict):
        raise InvalidEvent("not_an_object", f"malformed event: expected a JSON object, got {type(data).__name__}")
    return _validate(family, data, routing_key, not_after)


def parse_events(
    body: bytes,
    *,
    routing_key: str | None = None,
    not_after: datetime | None = None,
    family: Family[Any] = POSTINGS,
) -> list[Any]:
    """Events of a message: one JSON object, or a JSON array of up to ``MAX_BATCH_EVENTS`` of them.

    A producer that has many changes at once sends several per message (far fewer publishes, confirms and
    acks). Each element is decoded and validated on its own: an invalid one comes back as its
    :class:`InvalidEvent`, in place, so it alone is dead-lettered. A body that is neither raises
    :class:`InvalidEvent`. A UTF-8 byte-order mark before the body is ignored.

    The routing key is what bindings route by, so it must tell the truth: a message published under an event
    type holds events of that type only (an element of another type is rejected); ``batch`` may hold any mix,
    and only an array; any other key is refused whole. ``routing_key=None`` skips that check (files, tests).
    Elements of another family are rejected: each family has its own worker.
    """
    body = _without_bom(body)
    if body.lstrip()[:1] != b"[":
        return [parse_event(body, routing_key=routing_key, not_after=not_after, family=family)]
    if len(body) > MAX_BATCH_BODY_BYTES:
        raise InvalidEvent("too_large", f"message too large: {len(body)} bytes > {MAX_BATCH_BODY_BYTES}")
    _check_key(family, routing_key, batch=True)
    out: list[Any] = []
    for index, element in enumerate(_decode_batch(body)):
        try:
            if isinstance(element, Undecodable):
                raise InvalidEvent("malformed_json", f"malformed JSON: {element.reason}", element.raw)
            if not isinstance(element, dict):
                raise InvalidEvent(
                    "not_an_object", f"malformed event: expected a JSON object, got {type(element).__name__}"
                )
            out.append(_validate(family, element, routing_key, not_after))
        except InvalidEvent as exc:
            alone = exc.body if exc.body is not None else _alone(element, body, index)
            out.append(InvalidEvent(exc.code, f"batch element {index}: {exc.reason}", alone))
    return out


def _without_bom(body: bytes) -> bytes:
    return body[len(_BOM) :] if body.startswith(_BOM) else body


def _check_key(family: Family[Any], routing_key: str | None, *, batch: bool, body: bytes = b"") -> None:
    if routing_key is None or routing_key in family.types or (batch and routing_key == family.batch_key):
        return
    if routing_key == family.batch_key:
        got = "a JSON object" if body.lstrip()[:1] == b"{" else "something else"
        raise InvalidEvent(
            "routing_mismatch",
            f"a message under the routing key {family.batch_key!r} is a JSON array of events; got {got}",
        )
    expected = f"one of {', '.join(family.types)}" + (f" or {family.batch_key!r}" if batch else "")
    raise InvalidEvent("routing_mismatch", f"unknown routing key; publish with {expected}")


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidEvent("malformed_json", f"malformed JSON: {why_undecodable(exc)}") from exc


def _decode_batch(body: bytes) -> list[Any]:
    """The elements of a batch: decoded, or :class:`Undecodable`."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # Nested too deeply, a number too long, a syntax error: each may be one element's fault. While the
        # array's own brackets pair up, it is split without decoding, and each element decoded alone.
        split = element_spans(body, MAX_BATCH_EVENTS)
        if split is None:
            raise InvalidEvent("malformed_json", f"malformed JSON: {why_undecodable(exc)}") from exc
        if split.count > MAX_BATCH_EVENTS:
            raise InvalidEvent("too_large", f"batch too large: more than {MAX_BATCH_EVENTS} events") from exc
        return [decode_element(span) for span in split.spans]
    if not isinstance(data, list) or not data:
        raise InvalidEvent("not_an_object", "malformed batch: expected a non-empty JSON array of events")
    if len(data) > MAX_BATCH_EVENTS:
        raise InvalidEvent("too_large", f"batch too large: {len(data)} events > {MAX_BATCH_EVENTS}")
    return data


def _alone(element: Any, body: bytes, index: int) -> bytes | None:
    """A rejected element alone, as JSON: what is dead-lettered and replayed instead of the whole message."""
    try:
        # ensure_ascii: an element may hold strings that are not valid Unicode (a lone surrogate); as
        # escapes they are plain ASCII, and the element reads back exactly as it was sent.
        return json.dumps(element, ensure_ascii=True).encode()
    except RecursionError:
        # Decoded just within the recursion limit, encoding it again went past it: its bytes as sent.
        split = element_spans(body, MAX_BATCH_EVENTS)
        return split.spans[index] if split is not None else None


def _validate(family: Family[E], data: dict[str, Any], routing_key: str | None, not_after: datetime | None) -> E:
    event_type = data.get("type")
    if event_type not in family.types:
        # Never echoed: a type field may hold anything, a person's name included.
        raise InvalidEvent("unknown_type", f"unknown event type; expected one of {', '.join(family.types)}")
    if routing_key is not None and routing_key != family.batch_key and routing_key != event_type:
        raise InvalidEvent("routing_mismatch", f"a {event_type} event published under the routing key {routing_key}")
    try:
        event = family.adapter.validate_python(data)
    except ValidationError as exc:
        described = describe_errors(exc, tagged=True)
        code = "empty_text" if "empty text" in described else "schema_invalid"
        raise InvalidEvent(code, f"schema-invalid {event_type}: {described}") from exc
    except RecursionError as exc:
        raise InvalidEvent("schema_invalid", f"schema-invalid {event_type}: nested too deeply") from exc
    occurred_at: datetime = event.occurred_at  # type: ignore[attr-defined]
    if not_after is not None and occurred_at > not_after:
        ahead = (occurred_at - not_after).total_seconds()
        raise InvalidEvent(
            "clock_skew",
            f"occurred_at is {ahead:.0f} s beyond the accepted clock skew into the future: a producer clock is wrong",
        )
    return event


def describe_errors(exc: ValidationError, limit: int = 5, *, tagged: bool = False) -> str:
    """Field paths and messages only: input values may hold personal data and never reach logs.

    ``tagged``: the error comes from the event union, whose paths start with the event type.
    """
    parts = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False)[:limit]:
        # Paths name our fields, but an unexpected key is the producer's string: never shown.
        path = error["loc"][1:] if tagged else error["loc"]
        if error["type"] == "extra_forbidden":
            path = (*path[:-1], "<unexpected field>")
        loc = ".".join(_loc_part(p) for p in path) or "event"
        parts.append(f"{loc}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def json_schema() -> dict[str, Any]:
    """The JSON Schema producers validate against before publishing: every event type of both families."""
    schema = _ALL.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "CareerRank event"
    return schema


def _loc_part(part: str | int) -> str:
    return str(part) if isinstance(part, int) or part in _OUR_FIELDS or part.startswith("<") else "<field>"
