"""The demo files the sample's vacancies under three demo employers by city, as a newer version of each."""

from __future__ import annotations

from pathlib import Path

from careerrank.devtools.demo_employers import ELSEWHERE, NEWER_BY, with_demo_employer
from careerrank.ingest import SUPERJOB_DIR, read_events
from schemas import ResumeUpserted, VacancyUpserted


def test_each_sample_vacancy_gets_the_demo_employer_of_its_city() -> None:
    vacancies = list(read_events(SUPERJOB_DIR / "vacancies.csv", skip_invalid=True))
    filed = [with_demo_employer(v) for v in vacancies]
    by_employer: dict[str, int] = {}
    for before, after in zip(vacancies, filed, strict=True):
        assert isinstance(before, VacancyUpserted) and isinstance(after, VacancyUpserted)
        assert before.employer_id is None and after.employer_id is not None
        by_employer[after.employer_id] = by_employer.get(after.employer_id, 0) + 1
        expected = {"Москва": "demo-moscow", "Санкт-Петербург": "demo-saint-petersburg"}.get(before.city or "")
        assert after.employer_id == (expected or ELSEWHERE)
        # Another event, newer: a database an earlier demo filled applies it as an update.
        assert after.event_id != before.event_id and after.occurred_at == before.occurred_at + NEWER_BY
        assert after.model_dump(exclude={"employer_id", "event_id", "occurred_at"}) == before.model_dump(
            exclude={"employer_id", "event_id", "occurred_at"}
        )
    assert set(by_employer) == {"demo-moscow", "demo-saint-petersburg", ELSEWHERE}
    assert min(by_employer.values()) >= 50


def test_resumes_and_vacancies_with_an_employer_pass_unchanged() -> None:
    resume = next(iter(read_events(SUPERJOB_DIR / "resumes.csv", skip_invalid=True)))
    assert isinstance(resume, ResumeUpserted) and with_demo_employer(resume) is resume
    vacancy = next(iter(read_events(Path(SUPERJOB_DIR / "vacancies.csv"), skip_invalid=True)))
    assert isinstance(vacancy, VacancyUpserted)
    named = vacancy.model_copy(update={"employer_id": "acme"})
    assert with_demo_employer(named) is named
