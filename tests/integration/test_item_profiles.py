"""Schema version 2's structured fields reach PostgreSQL with the item, and follow its versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from careerrank.storage import Session
from schemas import ResumeUpserted, VacancyUpserted

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HASH = b"\x00" * 16


async def test_profiles_and_employers_are_stored_and_replaced_by_newer_events(db: asyncpg.Connection) -> None:
    items = Session(db).items
    vacancy = VacancyUpserted(
        event_id="v1",
        occurred_at=T0,
        id="v1",
        title="Backend developer",
        employer_id="acme",
        required_education="higher",
        required_languages=[{"code": "en", "level": "technical"}],  # type: ignore[list-item]
        schedule=["flexible"],
    )
    resume = ResumeUpserted(
        event_id="r1",
        occurred_at=T0,
        id="r1",
        title="Разработчик",
        work_history=[{"position": "Программист «1С»", "start": "2019-03", "end": "2023-01"}],  # type: ignore[list-item]
        languages=[{"code": "en", "level": "fluent"}],  # type: ignore[list-item]
        relocation=True,
    )
    old = VacancyUpserted(schema_version=1, event_id="v0", occurred_at=T0 - timedelta(days=1), id="v2", title="Dev")
    assert await items.upsert("vacancy", [vacancy, old], [HASH, HASH]) == {"v1", "v2"}
    assert await items.upsert("resume", [resume], [HASH]) == {"r1"}
    stored = await items.profiles("vacancy", ["v1", "v2", "missing"])
    assert set(stored) == {"v1", "v2"}
    assert stored["v1"].employer_id == "acme" and stored["v1"].fields == vacancy.profile()
    assert stored["v2"].employer_id is None and stored["v2"].fields == {}
    (r1,) = (await items.profiles("resume", ["r1"])).values()
    assert r1.fields == resume.profile() and r1.employer_id is None
    assert ResumeUpserted.model_validate({**resume.model_dump(exclude=set(resume.profile())), **r1.fields}) == resume
    # An event is the whole posting: a newer one without the fields clears them; an older one changes nothing.
    newer = VacancyUpserted(event_id="v1b", occurred_at=T0 + timedelta(hours=1), id="v1", title="Backend developer")
    late = vacancy.model_copy(update={"event_id": "v1c", "occurred_at": T0 - timedelta(hours=1), "employer_id": "x"})
    assert await items.upsert("vacancy", [newer], [HASH]) == {"v1"}
    assert await items.upsert("vacancy", [late], [HASH]) == set()
    stored = await items.profiles("vacancy", ["v1"])
    assert stored["v1"].fields == {} and stored["v1"].employer_id is None
    assert await db.fetchval("SELECT count(*) FROM vacancies WHERE employer_id = 'acme'") == 0
