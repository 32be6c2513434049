"""Event schemas of CareerRank: what producers publish and what the workers pass on."""

from schemas.applications import ApplicationSubmitted, ApplicationWithdrawn
from schemas.closures import ResumeClosed, VacancyClosed
from schemas.envelope import (
    EVENT_TYPES,
    POSTINGS,
    SCORING,
    SCORING_TYPES,
    ApplicationEvent,
    Closure,
    Event,
    InvalidEvent,
    ScoringEvent,
    Upsert,
    json_schema,
    kind_of,
    parse_event,
    parse_events,
)
from schemas.feedback import Decision, FeedbackRecorded
from schemas.index_updates import IndexUpdate
from schemas.kinds import DIRECTIONS, KINDS, Direction, Kind, Ranked, opposite
from schemas.postings import SCHEMA_VERSION, SCHEMA_VERSIONS, ResumeUpserted, VacancyUpserted

__all__ = [
    "DIRECTIONS",
    "EVENT_TYPES",
    "KINDS",
    "POSTINGS",
    "SCHEMA_VERSION",
    "SCHEMA_VERSIONS",
    "SCORING",
    "SCORING_TYPES",
    "ApplicationEvent",
    "ApplicationSubmitted",
    "ApplicationWithdrawn",
    "Closure",
    "Decision",
    "Direction",
    "Event",
    "FeedbackRecorded",
    "IndexUpdate",
    "InvalidEvent",
    "Kind",
    "Ranked",
    "ResumeClosed",
    "ResumeUpserted",
    "ScoringEvent",
    "Upsert",
    "VacancyClosed",
    "VacancyUpserted",
    "json_schema",
    "kind_of",
    "opposite",
    "parse_event",
    "parse_events",
]
