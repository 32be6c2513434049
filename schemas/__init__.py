"""Event schemas of CareerRank: what producers publish and what the workers pass on."""

from schemas.closures import ResumeClosed, VacancyClosed
from schemas.envelope import (
    EVENT_TYPES,
    Closure,
    Event,
    InvalidEvent,
    Upsert,
    json_schema,
    kind_of,
    parse_event,
    parse_events,
)
from schemas.index_updates import IndexUpdate, Kind
from schemas.postings import SCHEMA_VERSION, ResumeUpserted, VacancyUpserted

__all__ = [
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "Closure",
    "Event",
    "IndexUpdate",
    "InvalidEvent",
    "Kind",
    "ResumeClosed",
    "ResumeUpserted",
    "Upsert",
    "VacancyClosed",
    "VacancyUpserted",
    "json_schema",
    "kind_of",
    "parse_event",
    "parse_events",
]
