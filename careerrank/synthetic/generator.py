"""Deterministic synthetic vacancies and resumes with ground-truth labels, for load and quality tests.

Every item draws from its own ``random.Random`` seeded by ``(seed, kind, index)``: output is the same on
every run and machine, needs no global random state, streams in constant memory, and the first ``n`` items
do not depend on how many more are asked for. The structured fields of schema version 2 come from
:mod:`careerrank.synthetic.profiles`, drawn from streams of their own so that the older fields stay as they were.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from careerrank.synthetic.professions import BY_KEY, PROFESSIONS, Profession
from careerrank.synthetic.profiles import JobRecorder, resume_profile, vacancy_profile
from careerrank.synthetic.texts import Writer
from schemas import ResumeUpserted, VacancyUpserted

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
Seniority = Literal["junior", "middle", "senior", "lead"]


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth of one generated item; never part of the event itself."""

    kind: Literal["vacancy", "resume"]
    id: str
    profession: str
    seniority: Seniority

    def as_dict(self) -> dict[str, str]:
        # dataclasses.asdict deep-copies and is three times slower; this runs 145k times a dataset.
        return {"kind": self.kind, "id": self.id, "profession": self.profession, "seniority": self.seniority}


@dataclass(frozen=True, slots=True)
class Level:
    name: Seniority
    weight: float
    pay: float
    required: tuple[int, ...]  # years a vacancy asks for
    actual: tuple[float, float]  # years a candidate has


LEVELS = (
    Level("junior", 0.22, 0.55, (0, 0, 1), (0.0, 2.0)),
    Level("middle", 0.40, 1.0, (1, 2, 3), (1.5, 5.0)),
    Level("senior", 0.28, 1.45, (3, 4, 5), (4.0, 10.0)),
    Level("lead", 0.10, 1.9, (5, 6), (7.0, 20.0)),
)


@dataclass(frozen=True, slots=True)
class City:
    field: str | None  # what the event's ``city`` says; ``None`` for remote work
    en_name: str
    factor: float  # Moscow roubles → local currency, cost of living included
    currency: str
    ru_weight: float
    en_weight: float


CITIES = (
    City("Москва", "Moscow", 1.0, "RUB", 30, 10),
    City("Санкт-Петербург", "Saint Petersburg", 0.88, "RUB", 14, 4),
    City("Новосибирск", "Novosibirsk", 0.7, "RUB", 5, 1),
    City("Екатеринбург", "Yekaterinburg", 0.72, "RUB", 5, 1),
    City("Казань", "Kazan", 0.66, "RUB", 4, 1),
    City("Нижний Новгород", "Nizhny Novgorod", 0.66, "RUB", 4, 0),
    City("Краснодар", "Krasnodar", 0.64, "RUB", 3, 0),
    City("Ростов-на-Дону", "Rostov-on-Don", 0.62, "RUB", 3, 0),
    City("Самара", "Samara", 0.6, "RUB", 3, 0),
    City("Уфа", "Ufa", 0.6, "RUB", 2, 0),
    City("Пермь", "Perm", 0.6, "RUB", 2, 0),
    City("Воронеж", "Voronezh", 0.58, "RUB", 2, 0),
    City("Томск", "Tomsk", 0.62, "RUB", 1, 0),
    City(None, "Remote", 0.9, "RUB", 6, 0),
    City(None, "Remote", 0.03, "USD", 0, 8),
    City("London", "London", 0.028, "GBP", 0, 3),
    City("Berlin", "Berlin", 0.027, "EUR", 0, 2),
    City("Dubai", "Dubai", 0.03, "USD", 0, 2),
    City("Belgrade", "Belgrade", 0.016, "EUR", 0, 2),
)

_PROFESSION_WEIGHTS = list(itertools.accumulate(p.weight for p in PROFESSIONS))
_LEVEL_WEIGHTS = list(itertools.accumulate(level.weight for level in LEVELS))
_RU_CITY_WEIGHTS = list(itertools.accumulate(c.ru_weight for c in CITIES))
_EN_CITY_WEIGHTS = list(itertools.accumulate(c.en_weight for c in CITIES))


def _salary(rng: random.Random, profession: Profession, level: Level, city: City) -> int:
    amount = profession.salary * level.pay * city.factor * rng.uniform(0.85, 1.15)
    step = 5000 if city.currency == "RUB" else 100
    return max(step, round(amount / step) * step)


def _draw(rng: random.Random, english_share: float) -> tuple[Profession, Level, City, bool]:
    profession = rng.choices(PROFESSIONS, cum_weights=_PROFESSION_WEIGHTS)[0]
    level = rng.choices(LEVELS, cum_weights=_LEVEL_WEIGHTS)[0]
    english = rng.random() < english_share
    city = rng.choices(CITIES, cum_weights=_EN_CITY_WEIGHTS if english else _RU_CITY_WEIGHTS)[0]
    return profession, level, city, english


def vacancy(seed: int, index: int, english_share: float = 0.2) -> tuple[VacancyUpserted, Label]:
    """The ``index``-th synthetic vacancy of ``seed``."""
    rng = random.Random(f"careerrank-synthetic:{seed}:vacancy:{index}")
    profession, level, city, english = _draw(rng, english_share)
    writer = Writer(rng, english)
    required = rng.choice(level.required) if rng.random() > 0.1 else None
    pay = _salary(rng, profession, level, city)
    salary_from: int | None = round(pay * 0.9 / 1000) * 1000
    salary_to: int | None = round(pay * 1.2 / 1000) * 1000
    shape = rng.random()
    if shape < 0.2:
        salary_from = salary_to = None
    elif shape < 0.35:
        salary_to = None
    elif shape < 0.45:
        salary_from = None
    item_id = f"syn-v-{seed}-{index}"
    skills = writer.skills(profession, rng.randint(3, 7)) if rng.random() < 0.6 else []
    event = VacancyUpserted(
        event_id=f"ev-{item_id}",
        occurred_at=BASE_TIME + timedelta(seconds=index),
        id=item_id,
        title=writer.title(profession, level.name),
        text=writer.vacancy_text(profession, required, city),
        skills=skills,
        salary_from=salary_from,
        salary_to=salary_to,
        currency=city.currency,
        city=city.field,
        experience_years=required,
        language="en" if english else "ru",
        **vacancy_profile(seed, index, profession, level.name, city.field, english),
    )
    return event, Label("vacancy", item_id, profession.key, level.name)


def resume(seed: int, index: int, english_share: float = 0.2) -> tuple[ResumeUpserted, Label]:
    """The ``index``-th synthetic resume of ``seed``."""
    rng = random.Random(f"careerrank-synthetic:{seed}:resume:{index}")
    profession, level, city, english = _draw(rng, english_share)
    writer = JobRecorder(rng, english)  # draws what a Writer draws, and keeps the jobs for the work history
    years = round(rng.uniform(*level.actual), 1)
    # Career changers and generalists: some resumes carry a neighbouring profession's skills and jobs.
    neighbour = BY_KEY[rng.choice(profession.neighbours)] if rng.random() < 0.3 else None
    skills = writer.skills(profession, rng.randint(4, 10))
    if neighbour is not None:
        skills += [s for s in writer.skills(neighbour, rng.randint(1, 3)) if s not in skills]
    listed = rng.random() < 0.88
    item_id = f"syn-r-{seed}-{index}"
    pay = _salary(rng, profession, level, city) if rng.random() < 0.75 else None
    event = ResumeUpserted(
        event_id=f"ev-{item_id}",
        occurred_at=BASE_TIME + timedelta(seconds=index),
        id=item_id,
        title=writer.title(profession, level.name, resume=True),
        text=writer.resume_text(profession, level.name, years, neighbour, [] if listed else skills),
        skills=skills if listed else [],
        salary_from=pay,
        salary_to=pay,
        currency=city.currency,
        city=city.field if rng.random() < 0.95 else None,
        experience_years=years if rng.random() < 0.92 else None,
        language="en" if english else "ru",
        **resume_profile(seed, index, profession, city.field, years, english, writer.jobs),
    )
    return event, Label("resume", item_id, profession.key, level.name)


def generate(
    n_vacancies: int, n_resumes: int, seed: int = 0, english_share: float = 0.2
) -> Iterator[tuple[VacancyUpserted | ResumeUpserted, Label]]:
    """Vacancies and resumes interleaved in proportion, each with its label; streamed, not stored."""
    total = n_vacancies + n_resumes
    v = r = 0
    for step in range(total):
        if v < n_vacancies and (r >= n_resumes or v * total <= step * n_vacancies):
            yield vacancy(seed, v, english_share)
            v += 1
        else:
            yield resume(seed, r, english_share)
            r += 1


def write_dataset(
    out_dir: Path, n_vacancies: int, n_resumes: int, seed: int = 0, english_share: float = 0.2
) -> tuple[Path, Path]:
    """Write ``events.jsonl`` (publishable events) and ``labels.jsonl`` (ground truth) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    events_path, labels_path = out_dir / "events.jsonl", out_dir / "labels.jsonl"
    with (
        events_path.open("w", encoding="utf-8", newline="\n") as events,
        labels_path.open("w", encoding="utf-8", newline="\n") as labels,
    ):
        for event, label in generate(n_vacancies, n_resumes, seed, english_share):
            events.write(event.model_dump_json() + "\n")
            labels.write(json.dumps(label.as_dict()) + "\n")
    return events_path, labels_path


def professions() -> Sequence[str]:
    """Every profession label the generator can emit."""
    return [p.key for p in PROFESSIONS]
