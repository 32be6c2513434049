"""Events of every type with one timestamp or number field set to a raw JSON value, and hypothesis strategies
that draw such values across everything JSON can carry: the range tests of the schemas and of storage share
them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from schemas import POSTINGS, SCORING
from schemas.envelope import Family

NOW = "2026-03-01T10:00:00+03:00"
# Valid ISO 8601 and aware, but outside what a timestamptz column takes back as sent: before year 1 or after
# year 9999 once in UTC (asyncpg cannot convert them), or exactly the first or last microsecond of that range
# (asyncpg writes those as -infinity and infinity, which read back as naive datetimes).
OUTSIDE = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T13:59:59.999999+14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T14:00:00+14:00",
    "9999-12-31T23:00:00-05:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T18:59:59.999999-05:00",
    "9999-12-31T23:59:59.999999+00:00",
]
INSIDE = [
    "0001-01-01T00:00:00.000001Z",
    "0001-01-01T14:00:00.000001+14:00",
    "0001-01-01T23:59:00-23:59",
    "9999-12-31T23:59:59.999998Z",
    "9999-12-31T18:59:59.999998-05:00",
    "9999-12-31T00:01:00+23:59",
]
_SLOT = "@@value@@"

BASES: dict[str, dict[str, Any]] = {
    "vacancy.upserted": {"event_id": "e-v", "id": "v-1", "title": "Повар"},
    "resume.upserted": {
        "event_id": "e-r",
        "id": "r-1",
        "title": "Повар",
        "education": [{"level": "higher", "year": 2010}],
        "age": 30,
    },
    "vacancy.closed": {"event_id": "e-vc", "id": "v-1"},
    "resume.closed": {"event_id": "e-rc", "id": "r-1"},
    "application.submitted": {"event_id": "e-as", "vacancy_id": "v-1", "resume_id": "r-1"},
    "application.withdrawn": {"event_id": "e-aw", "vacancy_id": "v-1", "resume_id": "r-1"},
    "feedback.recorded": {
        "event_id": "e-f",
        "vacancy_id": "v-1",
        "resume_id": "r-1",
        "recruiter_id": "u-1",
        "employer_id": "c-1",
        "decision": "shown",
        "position": 3,
    },
}

POSTING_NUMBERS = (("salary_from",), ("salary_to",), ("experience_years",))
# The type of the column each field is stored in (migrations/*.sql); a profile is one jsonb document.
COLUMNS = {
    "occurred_at": "timestamptz",
    "salary_from": "integer",
    "salary_to": "integer",
    "experience_years": "real",
    "position": "smallint",
    "age": "jsonb",
    "education": "jsonb",
}
# Every timestamp and number field of every event type, as a path into the event.
FIELDS: tuple[tuple[str, tuple[str | int, ...]], ...] = (
    *((event_type, ("occurred_at",)) for event_type in BASES),
    *(("vacancy.upserted", path) for path in POSTING_NUMBERS),
    *(("resume.upserted", path) for path in (*POSTING_NUMBERS, ("age",), ("education", 0, "year"))),
    ("feedback.recorded", ("position",)),
)


def family_of(event_type: str) -> Family[Any]:
    return POSTINGS if event_type in POSTINGS.types else SCORING


def event(event_type: str, **overrides: Any) -> dict[str, Any]:
    """A valid event of ``event_type``; ``overrides`` replace its fields."""
    return {"type": event_type, "occurred_at": NOW, **json.loads(json.dumps(BASES[event_type])), **overrides}


@dataclass(frozen=True)
class Drawn:
    """An event of ``event_type`` whose field at ``path`` holds ``literal``, a JSON value written as sent."""

    event_type: str
    path: tuple[str | int, ...]
    literal: str

    @property
    def field(self) -> str:
        return str(self.path[0])

    def element(self) -> str:
        """The event as JSON text."""
        data = event(self.event_type)
        holder: Any = data
        for part in self.path[:-1]:
            holder = holder[part]
        holder[self.path[-1]] = _SLOT
        return json.dumps(data, ensure_ascii=False).replace(json.dumps(_SLOT), self.literal)

    def single(self) -> bytes:
        return self.element().encode()

    def batch(self) -> bytes:
        """The event between two valid neighbours of the same family."""
        neighbour = json.dumps(event(self.event_type, event_id="neighbour"))
        return f"[{neighbour}, {self.element()}, {neighbour}]".encode()

    def read(self, parsed: Any) -> Any:
        """The value an accepted event holds at ``path``."""
        value = parsed
        for part in self.path:
            value = value[part] if isinstance(part, int) else getattr(value, part)
        return value


def iso(moment: datetime, minutes: int) -> str:
    """``moment`` with a UTC offset of ``minutes``, as the JSON string a producer sends."""
    return json.dumps(moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat())


def _near(edge: datetime, micros: int) -> datetime:
    step = timedelta(microseconds=micros)
    return edge + step if edge == datetime.min else edge - step


# Offsets of any sign up to a minute short of a day, the most ISO 8601 and Python allow.
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1)
moments = st.one_of(
    st.datetimes(min_value=datetime.min, max_value=datetime.max),
    # Within two days of either end, where the offset decides whether the instant fits at all.
    st.builds(_near, st.sampled_from([datetime.min, datetime.max]), st.integers(0, 2 * 86_400 * 1_000_000)),
)
timestamps = st.builds(iso, moments, offsets)
numbers = st.one_of(
    # Around the fields' own ranges (an age, a year, a rank, years of experience), where most values pass.
    st.integers(min_value=-5, max_value=2_200).map(str),
    st.floats(min_value=-1, max_value=80).map(repr),
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.builds(lambda sign, digits: sign + digits, st.sampled_from(["", "-"]), st.text("0123456789", min_size=1)),
    st.integers(min_value=4_000, max_value=6_000).map(lambda n: "9" * n),  # past int() conversion's digit limit
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "-1e400",
            "1e-400",
            "5e-324",
            "-0",
            "-0.0",
            "2147483647",
            "2147483648",
            "32767",
            "32768",
            "3.4028235e38",
            "3.5e38",
            "253402300799",
            "-62135596800000",
            "253402300799999",
            "true",
            "null",
        ]
    ),
)
drawn = st.builds(
    lambda field, literal: Drawn(field[0], field[1], literal),
    st.sampled_from(FIELDS),
    st.one_of(timestamps, numbers),
)
