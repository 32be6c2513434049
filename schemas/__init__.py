"""Event schemas of CareerRank: what producers publish and what the workers pass on.

What the schema accepts, storage holds: a value that passes validation is never refused by PostgreSQL nor
stored as something else, so that a bad value is rejected once, with a reason naming its field, instead of
failing every retry with a database error. Text drops the control characters PostgreSQL cannot store (NUL);
ids refuse them. Numbers are bounded well inside their columns: salaries (0 to 100,000,000) in ``integer``,
experience (0 to 70 years, kept to ``real``'s precision) in ``real``, a shown row's position (1 to 1000) in
``smallint``, ages and years in the ``jsonb`` profile; the bounds refuse NaN and the infinities too.
Timestamps are instants a ``timestamptz`` reads back as sent (:mod:`schemas.timestamps`).
"""

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
