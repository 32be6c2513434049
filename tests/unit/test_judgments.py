"""The judged SuperJob pairs as recruiter feedback: one event per pair, invited when judged suitable."""

from __future__ import annotations

import json

from careerrank.ingest.judgments import JUDGES, judgment_feedback, judgments_version, read_grades
from schemas import SCORING, parse_event


def test_every_judged_pair_becomes_one_decision() -> None:
    grades = read_grades()
    events = judgment_feedback()
    assert len(events) == len(grades) > 2000
    assert len({e.event_id for e in events}) == len(events)
    expected = sorted(
        ((query, candidate) if direction == "vacancy_to_resume" else (candidate, query), "invited" if g else "rejected")
        for (direction, query, candidate), g in ((key, grade >= 1) for key, grade in grades.items())
    )
    assert sorted(((e.vacancy_id, e.resume_id), e.decision) for e in events) == expected
    assert all(event.recruiter_id == JUDGES for event in events)
    assert {e.decision for e in events} == {"invited", "rejected"}
    # They travel as any producer's feedback would, and read back the same.
    body = events[0].model_dump_json().encode()
    assert parse_event(body, family=SCORING) == events[0]
    assert json.loads(body)["type"] == "feedback.recorded"


def test_ids_times_and_the_version_are_stable() -> None:
    first, second = judgment_feedback(), judgment_feedback()
    assert [(e.event_id, e.occurred_at) for e in first] == [(e.event_id, e.occurred_at) for e in second]
    assert judgments_version() == judgments_version() and len(judgments_version()) == 8


def test_the_vacancies_judged_as_queries_are_spread_over_time() -> None:
    """A split by time holds out the latest vacancies: they must not all be the thirty judged as queries."""
    events = judgment_feedback()
    queries = {q for d, q, _ in read_grades() if d == "vacancy_to_resume"}
    first: dict[str, int] = {}
    for n, event in enumerate(sorted(events, key=lambda e: e.occurred_at)):
        first.setdefault(event.vacancy_id, n)
    latest = sorted(first, key=first.__getitem__)[-len(first) // 5 :]
    assert 0 < len(queries & set(latest)) < 0.5 * len(queries)
