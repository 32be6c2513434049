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
from schemas.index_updates import IndexUpdate
from schemas.kinds import DIRECTIONS, KINDS, Direction, Kind, Ranked, opposite
from schemas.postings import SCHEMA_VERSION, SCHEMA_VERSIONS, ResumeUpserted, VacancyUpserted

__all__ = [
    "DIRECTIONS",
    "EVENT_TYPES",
    "KINDS",
    "SCHEMA_VERSION",
    "SCHEMA_VERSIONS",
    "Closure",
    "Direction",
    "Event",
    "IndexUpdate",
    "InvalidEvent",
    "Kind",
    "Ranked",
    "ResumeClosed",
    "ResumeUpserted",
    "Upsert",
    "VacancyClosed",
    "VacancyUpserted",
    "json_schema",
    "kind_of",
    "opposite",
    "parse_event",
    "parse_events",
]
