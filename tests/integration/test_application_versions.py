"""Applications in PostgreSQL: the newest event of a pair wins, whatever the order and however they are batched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from careerrank.storage import ScoredApplication, Session
from schemas import ApplicationSubmitted, ApplicationWithdrawn

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def submitted(event_id: str, minutes: int, pair: tuple[str, str] = ("v1", "r1")) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        event_id=event_id, occurred_at=T0 + timedelta(minutes=minutes), vacancy_id=pair[0], resume_id=pair[1]
    )


def withdrawn(event_id: str, minutes: int, pair: tuple[str, str] = ("v1", "r1")) -> ApplicationWithdrawn:
    return ApplicationWithdrawn(
        event_id=event_id, occurred_at=T0 + timedelta(minutes=minutes), vacancy_id=pair[0], resume_id=pair[1]
    )


async def state(db: asyncpg.Connection, pair: tuple[str, str] = ("v1", "r1")) -> tuple[str, float | None]:
    row = await db.fetchrow("SELECT status, score FROM applications WHERE vacancy_id = $1 AND resume_id = $2", *pair)
    return row["status"], row["score"]


async def test_the_newest_event_of_a_pair_wins_in_any_order_and_batching(db: asyncpg.Connection) -> None:
    applications = Session(db).applications
    # One batch: a submission, its withdrawal, and another pair's submission, shuffled.
    applied = await applications.apply([withdrawn("w1", 5), submitted("s2", 1, ("v1", "r2")), submitted("s1", 1)])
    assert applied == {"w1", "s2"}  # s1 is older than w1 in the same batch
    assert await state(db) == ("withdrawn", None)
    # A late, older submission does not reopen it; a redelivery of the withdrawal changes nothing.
    assert await applications.apply([submitted("s0", 0)]) == set()
    assert await applications.apply([withdrawn("w1", 5)]) == set()
    assert await state(db) == ("withdrawn", None)
    # A newer submission reopens it and clears what was scored.
    await applications.store_scores(
        [ScoredApplication("v1", "r2", 0.7, True, [], "m1", T0, T0)]
    )  # fmt: skip
    assert await state(db, ("v1", "r2")) == ("open", pytest.approx(0.7))
    assert await applications.apply([submitted("s3", 9)]) == {"s3"}
    assert await state(db) == ("open", None)
    assert await applications.apply([submitted("s4", 10, ("v1", "r2"))]) == {"s4"}
    assert await state(db, ("v1", "r2")) == ("open", None)  # resubmitted: scored again, not kept
