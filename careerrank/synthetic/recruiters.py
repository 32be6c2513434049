"""Simulated recruiters: applications, shown lists and invite/reject decisions over synthetic postings.

A known truth for training and checking a scorer learned from recruiter feedback: each decision follows the
pair's :func:`~careerrank.synthetic.fit.hidden_fit` through the recruiter's behaviour (most are careful, a few
invite almost everyone, a few have their buttons swapped). The events carry the decisions only; the fit and the
behaviours are in :attr:`Simulation.truth`, written to a file of their own.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from careerrank.synthetic.fit import hidden_fit
from careerrank.synthetic.generator import BASE_TIME, Label, generate
from careerrank.synthetic.professions import PROFESSIONS
from schemas import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    Decision,
    FeedbackRecorded,
    ResumeUpserted,
    ScoringEvent,
    Upsert,
    VacancyUpserted,
)

Behaviour = Literal["careful", "invites_everyone", "swapped_buttons"]
INVITES_EVERYONE_SHARE = 0.06
SWAPPED_BUTTONS_SHARE = 0.03
THRESHOLD = 0.55  # a careful recruiter invites when fit plus noise exceeds it
NOISE = 0.1
CARELESS_INVITE_RATE = 0.9
# Where a vacancy's candidates come from: its own profession, the neighbouring ones, anyone.
SAME_SHARE, NEIGHBOUR_SHARE = 0.55, 0.20
APPLIED_SHARE = 0.4
DECIDED_SHARE = 0.9
WITHDRAWN_SHARE = 0.05
FEEDBACK_DAYS = 60


@dataclass(frozen=True, slots=True)
class Recruiter:
    """One recruiter of an employer, and how they use the invite and reject buttons."""

    id: str
    employer_id: str
    behaviour: Behaviour


@dataclass(frozen=True, slots=True)
class Truth:
    """What decided one pair: its hidden fit and the deciding recruiter (never part of an event)."""

    fit: float
    behaviour: Behaviour
    recruiter_id: str


@dataclass
class Simulation:
    """Postings with their labels, the scoring events over them (by time), and the truth of every decided pair."""

    postings: list[Upsert]
    labels: list[Label]
    scoring_events: list[ScoringEvent]
    truth: dict[tuple[str, str], Truth] = field(default_factory=dict)
    recruiters: list[Recruiter] = field(default_factory=list)

    def write(self, out_dir: Path) -> tuple[Path, Path, Path]:
        """Write ``postings.jsonl``, ``scoring.jsonl`` and, apart, ``truth.jsonl`` (and ``labels.jsonl``)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = out_dir / "postings.jsonl", out_dir / "scoring.jsonl", out_dir / "truth.jsonl"
        _write_lines(paths[0], (event.model_dump_json() for event in self.postings))
        _write_lines(paths[1], (event.model_dump_json() for event in self.scoring_events))
        truth = ({"vacancy_id": v, "resume_id": r, **asdict(t)} for (v, r), t in self.truth.items())
        _write_lines(paths[2], (json.dumps(line) for line in truth))
        _write_lines(out_dir / "labels.jsonl", (json.dumps(label.as_dict()) for label in self.labels))
        return paths


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line + "\n")


def recruiters_of(seed: int, employer_id: str) -> list[Recruiter]:
    """The one or two recruiters of an employer, each with a behaviour drawn once for all their vacancies."""
    rng = random.Random(f"careerrank-synthetic:{seed}:employer:{employer_id}")
    out = []
    for number in range(1 if rng.random() < 0.6 else 2):
        draw = rng.random()
        behaviour: Behaviour = "careful"
        if draw < INVITES_EVERYONE_SHARE:
            behaviour = "invites_everyone"
        elif draw < INVITES_EVERYONE_SHARE + SWAPPED_BUTTONS_SHARE:
            behaviour = "swapped_buttons"
        out.append(Recruiter(f"{employer_id}-r{number + 1}", employer_id, behaviour))
    return out


def decide(rng: random.Random, behaviour: Behaviour, fit: float) -> bool:
    """Whether a recruiter of ``behaviour`` invites a candidate of hidden ``fit``."""
    if behaviour == "invites_everyone":
        return rng.random() < CARELESS_INVITE_RATE
    liked = fit + rng.gauss(0.0, NOISE) > THRESHOLD
    return liked != (behaviour == "swapped_buttons")


# Resume indices by profession, and by the professions neighbouring each (either way round).
class _Pools:
    def __init__(self, labels: list[Label]) -> None:
        self.size = len(labels)
        self.same: dict[str, list[int]] = defaultdict(list)
        for index, label in enumerate(labels):
            self.same[label.profession].append(index)
        near: dict[str, set[str]] = defaultdict(set)
        for profession in PROFESSIONS:
            for other in profession.neighbours:
                near[profession.key].add(other)
                near[other].add(profession.key)
        self.neighbour = {key: [i for other in sorted(near[key]) for i in self.same[other]] for key in near}

    def pick(self, rng: random.Random, profession: str, count: int) -> list[int]:
        count = min(count, self.size)
        chosen: dict[int, None] = {}  # ordered and deduplicated
        for pool, share in ((self.same[profession], SAME_SHARE), (self.neighbour.get(profession, []), NEIGHBOUR_SHARE)):
            wanted = min(round(share * count), len(pool))
            chosen.update(dict.fromkeys(rng.sample(pool, wanted)))
        while len(chosen) < count:
            chosen.setdefault(rng.randrange(self.size))
        picked = list(chosen)
        rng.shuffle(picked)
        return picked


def simulate(
    seed: int, n_vacancies: int, n_resumes: int, *, candidates_per_vacancy: int = 25, english_share: float = 0.2
) -> Simulation:
    """Postings, applications, shown lists and recruiter decisions; the same for the same arguments."""
    postings: list[Upsert] = []
    labels: list[Label] = []
    vacancies: list[tuple[VacancyUpserted, Label]] = []
    resumes: list[tuple[ResumeUpserted, Label]] = []
    for event, label in generate(n_vacancies, n_resumes, seed, english_share):
        postings.append(event)
        labels.append(label)
        if isinstance(event, VacancyUpserted):
            vacancies.append((event, label))
        else:
            resumes.append((event, label))
    pools = _Pools([label for _, label in resumes])
    staff: dict[str, list[Recruiter]] = {}
    events: list[ScoringEvent] = []
    truth: dict[tuple[str, str], Truth] = {}
    # Feedback starts a day after the last posting exists and spreads over two months in vacancy order, so a
    # split by time puts later vacancies in the test set.
    opens = BASE_TIME + timedelta(days=1, seconds=max(n_vacancies, n_resumes))
    for index, (vacancy, vacancy_label) in enumerate(vacancies):
        rng = random.Random(f"careerrank-synthetic:{seed}:feedback:{index}")
        employer = vacancy.employer_id or vacancy.id  # a vacancy with no employer stands alone
        if employer not in staff:
            staff[employer] = recruiters_of(seed, employer)
        recruiter = rng.choice(staff[employer])
        review = opens + timedelta(days=FEEDBACK_DAYS * index / max(1, n_vacancies), seconds=rng.uniform(0, 300))
        shown = 0
        for r in pools.pick(rng, vacancy_label.profession, candidates_per_vacancy):
            resume, resume_label = resumes[r]
            pair = f"{seed}-{index}-{r}"
            ids = {"vacancy_id": vacancy.id, "resume_id": resume.id}
            withdrawn: datetime | None = None
            if rng.random() < APPLIED_SHARE:
                applied = review - timedelta(minutes=rng.uniform(10, 1200))
                events.append(ApplicationSubmitted(event_id=f"ev-syn-app-{pair}", occurred_at=applied, **ids))
                if rng.random() < WITHDRAWN_SHARE:
                    withdrawn = applied + timedelta(minutes=rng.uniform(10, 2880))
                    events.append(ApplicationWithdrawn(event_id=f"ev-syn-gone-{pair}", occurred_at=withdrawn, **ids))
            else:
                shown += 1
                events.append(_feedback(f"ev-syn-shown-{pair}", review, vacancy, resume, recruiter, "shown", shown))
            decided_at = review + timedelta(minutes=rng.uniform(1, 30))
            if rng.random() >= DECIDED_SHARE or (withdrawn is not None and withdrawn < decided_at):
                continue  # not looked at, or gone before the recruiter got to it
            fit = hidden_fit(vacancy, vacancy_label, resume, resume_label)
            decision: Decision = "invited" if decide(rng, recruiter.behaviour, fit) else "rejected"
            events.append(_feedback(f"ev-syn-decision-{pair}", decided_at, vacancy, resume, recruiter, decision))
            truth[(vacancy.id, resume.id)] = Truth(fit, recruiter.behaviour, recruiter.id)
    events.sort(key=lambda event: event.occurred_at)
    everyone = [recruiter for employer in staff.values() for recruiter in employer]
    return Simulation(postings, labels, events, truth, everyone)


def _feedback(
    event_id: str,
    at: datetime,
    vacancy: VacancyUpserted,
    resume: ResumeUpserted,
    recruiter: Recruiter,
    decision: Decision,
    position: int | None = None,
) -> FeedbackRecorded:
    return FeedbackRecorded(
        event_id=event_id,
        occurred_at=at,
        vacancy_id=vacancy.id,
        resume_id=resume.id,
        recruiter_id=recruiter.id,
        employer_id=recruiter.employer_id,
        decision=decision,
        position=position,
    )
