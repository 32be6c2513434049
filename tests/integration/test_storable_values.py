"""What the schema accepts, storage holds, checked against PostgreSQL itself: every timestamp or number that
parsing accepts is written through asyncpg to the column of the real table that keeps it, and reads back as
sent; the timestamps the schema refuses are exactly those that would fail or come back changed."""

from __future__ import annotations

import json
import struct
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, example, given, settings

from schemas import IndexUpdate, InvalidEvent, parse_events
from tests.drawn_values import INSIDE, OUTSIDE, Drawn, drawn, family_of, timestamps

pytestmark = pytest.mark.integration

# One connection for every example: each writes inside a transaction that is rolled back.
EXAMPLES = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def as_real(value: float | None) -> float | None:
    """``value`` as a ``real`` column keeps it: a 32-bit float."""
    return None if value is None else float(struct.unpack("f", struct.pack("f", value))[0])


async def write_and_read(db: asyncpg.Connection, event: Any) -> tuple[Any, Any]:
    """The event's values, written to the columns the workers write them to and read back; and as expected."""
    kind = event.type.split(".")[0]
    table = {"vacancy": "vacancies", "resume": "resumes"}.get(kind)
    if event.type.endswith(".upserted"):
        sent = (event.occurred_at, event.salary_from, event.salary_to, as_real(event.experience_years), event.profile())
        row = await db.fetchrow(
            f"""INSERT INTO {table} (id, version, status, title, body, salary_from, salary_to, experience_years,
                                     profile)
                VALUES ($1, $2, 'open', '', '', $3, $4, $5, $6::jsonb)
                RETURNING version, salary_from, salary_to, experience_years, profile""",
            event.id,
            event.occurred_at,
            event.salary_from,
            event.salary_to,
            event.experience_years,
            json.dumps(event.profile()),
        )
        return (*row[:4], json.loads(row["profile"])), sent
    if event.type.endswith(".closed"):
        row = await db.fetchrow(
            f"""INSERT INTO {table} (id, version, status, title, body)
                VALUES ($1, $2, 'closed', '', '') RETURNING version""",
            event.id,
            event.occurred_at,
        )
        return tuple(row), (event.occurred_at,)
    if kind == "application":
        row = await db.fetchrow(
            """INSERT INTO applications (vacancy_id, resume_id, status, version, submitted_at)
               VALUES ($1, $2, 'open', $3, $3) RETURNING version, submitted_at""",
            event.vacancy_id,
            event.resume_id,
            event.occurred_at,
        )
        return tuple(row), (event.occurred_at, event.occurred_at)
    row = await db.fetchrow(
        """INSERT INTO feedback (event_id, vacancy_id, resume_id, recruiter_id, employer_id, decision, position,
                                 occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING position, occurred_at""",
        event.event_id,
        event.vacancy_id,
        event.resume_id,
        event.recruiter_id,
        event.employer_id,
        event.decision,
        event.position,
        event.occurred_at,
    )
    return tuple(row), (event.position, event.occurred_at)


async def rolled_back(db: asyncpg.Connection, event: Any) -> tuple[Any, Any]:
    transaction = db.transaction()
    await transaction.start()
    try:
        return await write_and_read(db, event)
    finally:
        await transaction.rollback()


def same(stored: tuple[Any, ...], sent: tuple[Any, ...]) -> bool:
    # A naive datetime equals no aware one; its presence alone means a timestamp came back as an infinity.
    naive = any(isinstance(v, datetime) and v.tzinfo is None for v in stored)
    return not naive and stored == sent


@EXAMPLES
@given(value=drawn)
@example(value=Drawn("vacancy.upserted", ("occurred_at",), json.dumps(INSIDE[0])))
@example(value=Drawn("feedback.recorded", ("occurred_at",), json.dumps(INSIDE[-1])))
@example(value=Drawn("resume.upserted", ("experience_years",), "69.99999999999"))
@example(value=Drawn("vacancy.upserted", ("salary_to",), "100000000"))
@example(value=Drawn("feedback.recorded", ("position",), "1000"))
async def test_every_accepted_value_is_stored_and_read_back_as_sent(db: asyncpg.Connection, value: Drawn) -> None:
    try:
        (event,) = parse_events(value.single(), routing_key=value.event_type, family=family_of(value.event_type))
    except InvalidEvent:
        return
    stored, sent = await rolled_back(db, event)  # an asyncpg.DataError here is what the schema must prevent
    assert same(stored, sent), (value, stored, sent)


@EXAMPLES
@given(literal=timestamps)
async def test_every_accepted_index_update_version_is_stored_as_sent(db: asyncpg.Connection, literal: str) -> None:
    raw = f'{{"kind": "vacancy", "id": "v-1", "op": "upsert", "version": {literal}}}'
    try:
        update = IndexUpdate.model_validate_json(raw)
    except ValueError:
        return
    transaction = db.transaction()
    await transaction.start()
    try:
        stored = await db.fetchval(
            """INSERT INTO vacancies (id, version, status, title, body, matched_version)
               VALUES ($1, now(), 'open', '', '', $2) RETURNING matched_version""",
            update.id,
            update.version,
        )
    finally:
        await transaction.rollback()
    assert same((stored,), (update.version,))


@pytest.mark.parametrize("moment", INSIDE)
async def test_the_ends_of_the_accepted_range_are_stored_as_sent(db: asyncpg.Connection, moment: str) -> None:
    (event,) = parse_events(
        json.dumps({"type": "vacancy.closed", "event_id": "e", "occurred_at": moment, "id": "v"}).encode()
    )
    stored, sent = await rolled_back(db, event)
    assert same(stored, sent) and stored[0].tzinfo is not None


@pytest.mark.parametrize("moment", OUTSIDE)
async def test_what_the_schema_refuses_storage_would_fail_on_or_change(db: asyncpg.Connection, moment: str) -> None:
    instant = datetime.fromisoformat(moment)
    try:
        stored = await db.fetchval("SELECT $1::timestamptz", instant)
    except asyncpg.DataError:
        return
    assert not same((stored,), (instant,))
    assert await db.fetchval("SELECT isfinite($1::timestamptz)", instant) is False
