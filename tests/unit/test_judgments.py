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
    for ((direction, query, candidate), grade), event in zip(sorted(grades.items()), events, strict=True):
        pair = (query, candidate) if direction == "vacancy_to_resume" else (candidate, query)
        assert (event.vacancy_id, event.resume_id) == pair
        assert event.decision == ("invited" if grade >= 1 else "rejected")
        assert event.recruiter_id == JUDGES
    assert {e.decision for e in events} == {"invited", "rejected"}
    # They travel as any producer's feedback would, and read back the same.
    body = events[0].model_dump_json().encode()
    assert parse_event(body, family=SCORING) == events[0]
    assert json.loads(body)["type"] == "feedback.recorded"


def test_ids_times_and_the_version_are_stable() -> None:
    first, second = judgment_feedback(), judgment_feedback()
    assert [(e.event_id, e.occurred_at) for e in first] == [(e.event_id, e.occurred_at) for e in second]
    assert judgments_version() == judgments_version() and len(judgments_version()) == 8
