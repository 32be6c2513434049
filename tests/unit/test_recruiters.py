from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from careerrank.synthetic import Simulation, generate, hidden_fit, simulate
from careerrank.synthetic.fit import relation
from careerrank.synthetic.recruiters import recruiters_of
from schemas import (
    SCORING,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    FeedbackRecorded,
    ResumeUpserted,
    VacancyUpserted,
    parse_event,
)
from schemas.profiles import Education, LanguageSkill

TRUTH_WORDS = ("careful", "invites_everyone", "swapped_buttons", "fit", "behaviour", "truth")


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(0, 2000, 1500)


def _decisions(sim: Simulation) -> dict[tuple[str, str], bool]:
    return {
        (e.vacancy_id, e.resume_id): e.decision == "invited"
        for e in sim.scoring_events
        if isinstance(e, FeedbackRecorded) and e.decision != "shown"
    }


def _rate(values: list[bool]) -> float:
    return sum(values) / len(values)


def test_same_seed_same_simulation() -> None:
    first, second = simulate(5, 150, 120), simulate(5, 150, 120)
    assert first.scoring_events == second.scoring_events
    assert first.truth == second.truth and first.recruiters == second.recruiters
    other = simulate(6, 150, 120)
    assert [e.event_id for e in other.scoring_events] != [e.event_id for e in first.scoring_events]


def test_postings_are_the_generator_output(sim: Simulation) -> None:
    assert [(e, lab) for e, lab in zip(sim.postings, sim.labels, strict=True)] == list(generate(2000, 1500, seed=0))


def test_every_scoring_event_parses_as_the_scoring_family(sim: Simulation) -> None:
    for event in sim.scoring_events:
        assert parse_event(event.model_dump_json().encode(), family=SCORING) == event
    ids = [e.event_id for e in sim.scoring_events]
    assert len(set(ids)) == len(ids)
    times = [e.occurred_at for e in sim.scoring_events]
    assert times == sorted(times)


def test_candidates_applications_and_decisions_in_proportion(sim: Simulation) -> None:
    kinds = Counter(type(e).__name__ for e in sim.scoring_events)
    shown = sum(isinstance(e, FeedbackRecorded) and e.decision == "shown" for e in sim.scoring_events)
    presented = kinds["ApplicationSubmitted"] + shown
    assert presented == 2000 * 25
    assert 0.35 < kinds["ApplicationSubmitted"] / presented < 0.45
    assert 0.02 < kinds["ApplicationWithdrawn"] / kinds["ApplicationSubmitted"] < 0.08
    assert 0.85 < len(sim.truth) / presented < 0.92
    assert len(_decisions(sim)) == len(sim.truth)
    labels = {label.id: label for label in sim.labels}
    relations = Counter(relation(labels[v], labels[r]) for v, r in sim.truth)
    assert relations["same"] / len(sim.truth) > 0.5
    assert 0.15 < relations["neighbour"] / len(sim.truth) < 0.3
    positions = [e.position for e in sim.scoring_events if isinstance(e, FeedbackRecorded) and e.decision == "shown"]
    assert min(p or 0 for p in positions) == 1 and max(p or 0 for p in positions) <= 25


def test_feedback_comes_after_both_postings_and_later_for_later_vacancies(sim: Simulation) -> None:
    created = {e.id: e.occurred_at for e in sim.postings}
    applied = {}
    for event in sim.scoring_events:
        assert event.occurred_at > max(created[event.vacancy_id], created[event.resume_id])
        if isinstance(event, ApplicationSubmitted):
            applied[(event.vacancy_id, event.resume_id)] = event.occurred_at
        if isinstance(event, ApplicationWithdrawn):
            assert applied[(event.vacancy_id, event.resume_id)] < event.occurred_at
        if isinstance(event, FeedbackRecorded) and event.decision != "shown":
            assert applied.get((event.vacancy_id, event.resume_id), event.occurred_at) <= event.occurred_at
    decided: dict[int, list[float]] = defaultdict(list)
    for event in sim.scoring_events:
        if isinstance(event, FeedbackRecorded) and event.decision != "shown":
            index = int(event.vacancy_id.rsplit("-", 1)[1])
            decided[index // 200].append(event.occurred_at.timestamp())
    assert max(decided[0]) < min(decided[9])
    span = max(decided[9]) - min(decided[0])
    assert 58 * 86400 < span < 61 * 86400


def test_recruiter_behaviours_in_their_shares() -> None:
    staff = [recruiters_of(0, f"syn-e-0-{n}") for n in range(5000)]
    assert {len(team) for team in staff} == {1, 2}
    behaviours = Counter(r.behaviour for team in staff for r in team)
    total = sum(behaviours.values())
    assert 0.05 < behaviours["invites_everyone"] / total < 0.07
    assert 0.022 < behaviours["swapped_buttons"] / total < 0.038
    assert all(r.employer_id == f"syn-e-0-{n}" for n, team in enumerate(staff) for r in team)


def test_careful_recruiters_invite_the_same_profession_more(sim: Simulation) -> None:
    decisions = _decisions(sim)
    labels = {label.id: label for label in sim.labels}
    by_relation: dict[str, list[bool]] = defaultdict(list)
    for pair, truth in sim.truth.items():
        if truth.behaviour == "careful":
            by_relation[relation(labels[pair[0]], labels[pair[1]])].append(decisions[pair])
    same, neighbour, other = (_rate(by_relation[k]) for k in ("same", "neighbour", "other"))
    assert same > 0.4 and same > neighbour + 0.25 and neighbour > other
    assert other < 0.02
    assert 0.3 < _rate(list(decisions.values())) < 0.45


def test_careless_recruiters_invite_almost_everyone(sim: Simulation) -> None:
    decisions = _decisions(sim)
    invited = [decisions[pair] for pair, truth in sim.truth.items() if truth.behaviour == "invites_everyone"]
    assert len(invited) > 500
    assert _rate(invited) > 0.8


def test_swapped_buttons_invert_the_fit(sim: Simulation) -> None:
    decisions = _decisions(sim)

    def correlation(behaviour: str) -> float:
        pairs = [
            (truth.fit, float(decisions[pair])) for pair, truth in sim.truth.items() if truth.behaviour == behaviour
        ]
        assert len(pairs) > 100
        return statistics.correlation([f for f, _ in pairs], [d for _, d in pairs])

    assert correlation("swapped_buttons") < -0.4
    assert correlation("careful") > 0.4


def test_the_truth_never_appears_in_the_events(sim: Simulation, tmp_path: Path) -> None:
    allowed = set(FeedbackRecorded.model_fields) | set(ApplicationSubmitted.model_fields)
    for event in sim.scoring_events:
        dumped = event.model_dump(mode="json")
        assert set(dumped) <= allowed
        assert not any(isinstance(value, float) for value in dumped.values())
        text = event.model_dump_json()
        assert not any(word in text for word in TRUTH_WORDS), text
    postings, scoring, truth = sim.write(tmp_path / "out")
    assert (postings.name, scoring.name, truth.name) == ("postings.jsonl", "scoring.jsonl", "truth.jsonl")
    scoring_text = scoring.read_text(encoding="utf-8")
    assert not any(f'"{word}"' in scoring_text for word in TRUTH_WORDS)
    lines = scoring_text.splitlines()
    assert len(lines) == len(sim.scoring_events)
    # Every event parses (checked above); here a sample of what was written reads back the same.
    assert [parse_event(line.encode(), family=SCORING) for line in lines[::97]] == sim.scoring_events[::97]
    assert [parse_event(line.encode()) for line in postings.read_text(encoding="utf-8").splitlines()] == sim.postings
    rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(sim.truth)
    assert set(rows[0]) == {"vacancy_id", "resume_id", "fit", "behaviour", "recruiter_id"}
    assert rows[0]["fit"] == sim.truth[(rows[0]["vacancy_id"], rows[0]["resume_id"])].fit


def test_hidden_fit_ignores_age_and_gender_but_not_the_city(sim: Simulation) -> None:
    events = {e.id: e for e in sim.postings}
    labels = {label.id: label for label in sim.labels}
    moved = 0
    for vacancy_id, resume_id in list(sim.truth)[:400]:
        vacancy, resume = events[vacancy_id], events[resume_id]
        assert isinstance(vacancy, VacancyUpserted) and isinstance(resume, ResumeUpserted)
        fit = hidden_fit(vacancy, labels[vacancy_id], resume, labels[resume_id])
        assert 0.0 <= fit <= 1.0
        assert fit == sim.truth[(vacancy_id, resume_id)].fit
        for age, gender in ((19, "female"), (64, "male"), (None, None)):
            other = resume.model_copy(update={"age": age, "gender": gender})
            assert hidden_fit(vacancy, labels[vacancy_id], other, labels[resume_id]) == fit
        # The same perturbation of a field the fit does read moves it: the check above can fail.
        elsewhere = resume.model_copy(update={"city": "Nowhere", "relocation": False})
        moved += hidden_fit(vacancy, labels[vacancy_id], elsewhere, labels[resume_id]) != fit
    assert moved > 100


def test_hidden_fit_reads_the_stated_requirements(sim: Simulation) -> None:
    labels = {label.id: label for label in sim.labels}
    vacancy = next(e for e in sim.postings if isinstance(e, VacancyUpserted))
    resume = next(
        e
        for e in sim.postings
        if isinstance(e, ResumeUpserted) and labels[e.id].profession == labels[vacancy.id].profession
    )
    vacancy_label, resume_label = labels[vacancy.id], labels[resume.id]
    base = vacancy.model_copy(
        update={"salary_from": 100_000, "salary_to": 150_000, "currency": "RUB", "experience_years": 2.0,
                "required_education": None, "required_languages": [], "city": "Москва", "remote": None}
    )  # fmt: skip
    fitting = resume.model_copy(
        update={"salary_from": 120_000, "salary_to": 120_000, "currency": "RUB", "experience_years": 3.0,
                "city": "Москва", "languages": [], "education": []}
    )  # fmt: skip
    fit = hidden_fit(base, vacancy_label, fitting, resume_label)
    assert fit > 0.3
    worse = [
        fitting.model_copy(update={"salary_from": 300_000, "salary_to": 300_000}),
        fitting.model_copy(update={"experience_years": 0.0}),
        fitting.model_copy(update={"city": "Казань"}),
    ]
    assert all(hidden_fit(base, vacancy_label, r, resume_label) < fit for r in worse)
    # A salary in another currency, or none, is no reason either way.
    assert hidden_fit(base, vacancy_label, fitting.model_copy(update={"currency": "USD"}), resume_label) == fit
    unstated = fitting.model_copy(update={"salary_from": None, "salary_to": None})
    assert hidden_fit(base, vacancy_label, unstated, resume_label) == fit
    english = base.model_copy(update={"required_languages": [LanguageSkill(code="en", level="fluent")]})
    assert hidden_fit(english, vacancy_label, fitting, resume_label) < fit
    speaks = fitting.model_copy(update={"languages": [LanguageSkill(code="en", level="native")]})
    assert hidden_fit(english, vacancy_label, speaks, resume_label) == fit
    higher = base.model_copy(update={"required_education": "higher"})
    school = fitting.model_copy(update={"education": [Education(level="secondary")]})
    assert hidden_fit(higher, vacancy_label, school, resume_label) < fit
