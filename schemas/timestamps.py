"""The timestamp of every event: an aware instant that PostgreSQL's ``timestamptz`` holds exactly as sent.

The rule of every field of every event: what the schema accepts, storage holds. A value that passed
validation is never refused by the database, nor stored as something else; refusing it here gives the
producer a reason that names the field, instead of a database error on every retry. For timestamps:

- In UTC, the instant must lie in Python's range, years 1 to 9999: an offset can carry a valid ISO 8601
  time out of it (``0001-01-01T00:00:00+14:00`` is in year 0 in UTC), and asyncpg, which converts every
  value to UTC, cannot write it.
- It must not be the very first or the very last microsecond of that range (``0001-01-01T00:00:00Z``,
  ``9999-12-31T23:59:59.999999Z``): asyncpg writes those as ``-infinity`` and ``infinity``, and reads them
  back as naive datetimes, which no longer compare with the versions they are ordered against.

Everything in between fits ``timestamptz`` (4713 BC to 294276 AD) and reads back as the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

EARLIEST: Final = datetime.min.replace(tzinfo=UTC) + timedelta(microseconds=1)
LATEST: Final = datetime.max.replace(tzinfo=UTC) - timedelta(microseconds=1)


def storable(value: datetime) -> datetime:
    """``value`` itself, if storage holds it as sent; otherwise a validation error that says the range."""
    # Aware datetimes compare as instants without being converted, so one out of range fails here, not with
    # an overflow.
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError(
            "timestamp_range",
            "outside the range that can be stored: in UTC, from 0001-01-01T00:00:00.000001Z"
            " to 9999-12-31T23:59:59.999998Z",
        )
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(storable)]
