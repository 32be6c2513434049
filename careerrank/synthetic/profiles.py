"""The structured fields of synthetic postings (schema version 2): work history, education, languages, conditions.

Each item draws them from a random stream of its own, apart from the one that wrote its title and text: adding
or changing a field here leaves every older field of every item as it was.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, TypedDict

from careerrank.synthetic.professions import Profession
from careerrank.synthetic.texts import Writer
from schemas.profiles import Education, EducationLevel, Employment, LanguageLevel, LanguageSkill, Schedule, WorkPeriod

# The month the synthetic postings are dated in: no job of a work history ends after it.
NOW_MONTH = 2024 * 12
MAX_PERIODS = 5
VACANCIES_PER_EMPLOYER = 5  # on average: a few hundred employers in two thousand vacancies

# What a profession usually asks for, and what its people studied (Russian, English); higher education otherwise.
_EDUCATION: dict[str, tuple[EducationLevel, str, str]] = {
    "staff_accountant": ("higher", "Бухгалтерский учёт", "Accounting"),
    "economist_planner": ("higher", "Экономика", "Economics"),
    "financial_analyst": ("higher", "Финансы и кредит", "Finance"),
    "corporate_lawyer": ("higher", "Юриспруденция", "Law"),
    "hr_recruiter": ("higher", "Управление персоналом", "Human resources"),
    "marketing_manager": ("higher", "Маркетинг", "Marketing"),
    "school_teacher": ("higher", "Педагогическое образование", "Education"),
    "mechanical_engineer": ("higher", "Машиностроение", "Mechanical engineering"),
    "graphic_designer": ("higher", "Дизайн", "Design"),
    "construction_foreman": ("vocational", "Строительство", "Civil engineering"),
    "registered_nurse": ("vocational", "Сестринское дело", "Nursing"),
    "site_electrician": ("vocational", "Электроснабжение", "Electrical engineering"),
    "line_cook": ("vocational", "Технология общественного питания", "Culinary arts"),
    "logistics_coordinator": ("secondary", "Логистика", "Logistics"),
    "sales_manager": ("secondary", "Коммерция", "Business"),
    "call_center": ("secondary", "", ""),
    "delivery_driver": ("secondary", "", ""),
    "warehouse_worker": ("secondary", "", ""),
    "retail_cashier": ("secondary", "", ""),
}
_IT_EDUCATION: tuple[EducationLevel, str, str] = ("higher", "Прикладная информатика", "Computer science")
_OTHER_EDUCATION: tuple[EducationLevel, str, str] = ("higher", "Менеджмент", "Management")
_BELOW: dict[str, EducationLevel] = {"higher": "incomplete_higher", "vocational": "secondary", "secondary": "secondary"}
_ABOVE: dict[str, tuple[EducationLevel, ...]] = {
    "higher": ("master", "master", "phd"),
    "vocational": ("higher", "bachelor"),
    "secondary": ("vocational", "higher"),
}
_DEGREES: tuple[EducationLevel, ...] = ("higher", "higher", "bachelor", "master")
_ENGLISH_LEVELS: tuple[LanguageLevel, ...] = ("basic", "technical", "conversational", "fluent")
_ENGLISH_WEIGHTS = (0.15, 0.35, 0.3, 0.2)
_REQUIRED_ENGLISH: tuple[LanguageLevel, ...] = ("technical", "conversational", "fluent")
_GENDERS: tuple[Literal["female"], Literal["male"]] = ("female", "male")
_SHIFT_WORK = {"warehouse_worker", "retail_cashier", "call_center", "line_cook", "registered_nurse", "delivery_driver"}
_ROTATION = {"construction_foreman", "site_electrician", "warehouse_worker"}


@dataclass(frozen=True, slots=True)
class Job:
    """One job a resume's text describes, as it was written there."""

    profession: Profession
    position: str
    employer: str
    years: int
    duties: str


class JobRecorder(Writer):
    """A :class:`Writer` that also keeps the jobs it writes into a resume, drawing exactly what ``Writer`` draws."""

    def __init__(self, rng: random.Random, english: bool) -> None:
        super().__init__(rng, english)
        self.jobs: list[Job] = []
        self._last_title = self._last_company = ""

    def title(self, profession: Profession, level: str, resume: bool = False) -> str:
        self._last_title = super().title(profession, level, resume)
        return self._last_title

    def company(self) -> str:
        self._last_company = super().company()
        return self._last_company

    def _job(self, profession: Profession, level: str, years: int) -> str:
        line = super()._job(profession, level, years)
        # The line ends "<company>, <span>: <Duties>." and the company holds no ": ".
        duties = line.partition(f"{self._last_company}, ")[2].partition(": ")[2].removesuffix(".")
        self.jobs.append(Job(profession, self._last_title, self._last_company, years, duties))
        return line


class VacancyProfile(TypedDict):
    """The version 2 fields of a synthetic vacancy, as :class:`~schemas.VacancyUpserted` takes them."""

    employer_id: str
    required_education: EducationLevel | None
    required_languages: list[LanguageSkill]
    employment: list[Employment]
    schedule: list[Schedule]
    remote: bool | None


class ResumeProfile(TypedDict):
    """The version 2 fields of a synthetic resume, as :class:`~schemas.ResumeUpserted` takes them."""

    work_history: list[WorkPeriod]
    education: list[Education]
    languages: list[LanguageSkill]
    relocation: bool | None
    remote: bool | None
    employment: list[Employment]
    schedule: list[Schedule]
    age: int | None
    gender: Literal["female", "male"] | None


def typical_education(profession: Profession) -> tuple[EducationLevel, str, str]:
    """The level a profession usually asks for and the field its people studied (Russian, English)."""
    return _EDUCATION.get(profession.key, _IT_EDUCATION if profession.it else _OTHER_EDUCATION)


def _conditions(rng: random.Random, profession: Profession, remote: bool) -> tuple[list[Employment], list[Schedule]]:
    employment: list[Employment] = []
    schedule: list[Schedule] = []
    if rng.random() < 0.65:
        employment = rng.choice([["full"], ["full"], ["full", "part"], ["part"], ["full", "project"]])
    if remote:
        schedule = ["remote"]
    elif rng.random() < 0.6:
        if profession.key in _ROTATION and rng.random() < 0.3:
            schedule = ["rotation"]
        elif profession.key in _SHIFT_WORK:
            schedule = rng.choice([["shift"], ["shift"], ["full_day", "shift"], ["full_day"]])
        else:
            schedule = rng.choice([["full_day"], ["full_day", "flexible"], ["flexible"], ["remote", "flexible"]])
    return employment, schedule


def vacancy_profile(
    seed: int, index: int, profession: Profession, level: str, city: str | None, english: bool
) -> VacancyProfile:
    """The version 2 fields of the ``index``-th vacancy of ``seed``; ``city`` is None for remote work."""
    rng = random.Random(f"careerrank-synthetic:{seed}:vacancy:{index}:profile")
    # Neighbouring indices share employers: an employer posts a handful of vacancies at a time.
    employer = (index + rng.randrange(2 * VACANCIES_PER_EMPLOYER)) // VACANCIES_PER_EMPLOYER
    typical = typical_education(profession)[0]
    required_education = typical if rng.random() < (0.4 if typical != "secondary" else 0.1) else None
    languages: list[LanguageSkill] = []
    if english:
        if rng.random() < 0.6:
            languages.append(LanguageSkill(code="en", level="fluent"))
        if city == "Berlin" and rng.random() < 0.2:
            languages.append(LanguageSkill(code="de", level="conversational"))
    elif profession.it and rng.random() < 0.35:
        languages.append(LanguageSkill(code="en", level=rng.choices(_REQUIRED_ENGLISH, (0.4, 0.4, 0.2))[0]))
    elif rng.random() < 0.07:
        languages.append(LanguageSkill(code="en", level="conversational"))
    remote = city is None
    employment, schedule = _conditions(rng, profession, remote)
    if level == "junior" and rng.random() < 0.1:
        employment = ["internship", *employment]
    if remote:
        remote_flag: bool | None = True
    else:
        remote_flag = rng.choices((None, False, True), (0.5, 0.4, 0.1 if profession.it else 0.02))[0]
    return VacancyProfile(
        employer_id=f"syn-e-{seed}-{employer}",
        required_education=required_education,
        required_languages=languages,
        employment=employment,
        schedule=schedule,
        remote=remote_flag,
    )


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# Months of each job, newest first, adding up to ``target``: the text's whole years where they fit.
def _lengths(jobs: list[Job], target: int) -> list[int]:
    lengths = [max(1, job.years * 12) for job in jobs[:MAX_PERIODS]]
    while len(lengths) > target:
        lengths.pop()
    total = sum(lengths)
    if total <= target:
        # The text rounds years down and lists five jobs at most: the oldest job of the profession takes the rest.
        main = [i for i, job in enumerate(jobs[: len(lengths)]) if job.profession is jobs[0].profession]
        lengths[main[-1]] += target - total
        return lengths
    scaled = [max(1, length * target // total) for length in lengths]
    scaled[0] += target - sum(scaled)
    while scaled[0] < 1:  # the jobs raised to one month may overshoot: take back from the longest others
        scaled[-1 if scaled[-1] > 1 else scaled.index(max(scaled))] -= 1
        scaled[0] += 1
    return scaled


def work_history(rng: random.Random, jobs: list[Job], years: float) -> list[WorkPeriod]:
    """Periods newest first, ending by 2024-01 (the newest may be current), ``years`` of work in all."""
    target = max(1, round(years * 12))
    periods: list[WorkPeriod] = []
    end = NOW_MONTH if rng.random() < 0.65 else NOW_MONTH - rng.randint(1, 6)
    current = end == NOW_MONTH and rng.random() < 0.95
    for job, length in zip(jobs, _lengths(jobs, target), strict=False):
        start = end - length + 1
        periods.append(
            WorkPeriod(
                position=job.position,
                employer=job.employer,
                start=_month(start),
                end=None if current and not periods else _month(end),
                duties=job.duties,
            )
        )
        end = start - 1 - (rng.randint(1, 4) if rng.random() < 0.3 else 0)
    return periods


def _first_job(rng: random.Random, profession: Profession, english: bool) -> Job:
    writer = Writer(rng, english)
    duties = "; ".join(rng.sample(profession.en_duties if english else profession.ru_duties, 2))
    title = writer.title(profession, "junior", resume=True)
    return Job(profession, title, writer.company(), 0, duties[:1].upper() + duties[1:])


# What a candidate whose first job began in the year ``started`` studied, newest first.
def _education(rng: random.Random, profession: Profession, english: bool, started: int) -> list[Education]:
    typical, ru_field, en_field = typical_education(profession)
    draw = rng.random()
    level: EducationLevel = typical if draw < 0.7 else _BELOW[typical] if draw < 0.85 else rng.choice(_ABOVE[typical])
    if level == "higher":
        level = rng.choice(_DEGREES)
    # Some study while they already work: the degree ends up to two years after the first job began.
    graduated = started + rng.randint(-2, 2)
    field = en_field if english else ru_field
    out = [Education(level=level, year=graduated if level != "incomplete_higher" else None, field=field)]
    if level in ("master", "phd") and rng.random() < 0.5:
        out.append(Education(level="bachelor", year=graduated - 2, field=field))
    return out


def _age(rng: random.Random, education: list[Education], started: int) -> int:
    if education and education[-1].year is not None:
        # Age on finishing the first education listed: school at 18, college at 20, university at 22 and on.
        finished = {"secondary": 18, "vocational": 20}.get(education[-1].level, 22)
        age = 2024 - education[-1].year + finished + rng.randint(0, 2)
    else:
        age = 2024 - started + rng.randint(18, 24)
    return min(70, max(18, age))


def _languages(rng: random.Random, profession: Profession, english: bool, city: str | None) -> list[LanguageSkill]:
    if english:
        spoken = [LanguageSkill(code="en", level="native" if city == "London" else "fluent")]
        if rng.random() < 0.3:
            spoken.append(LanguageSkill(code="ru", level="native"))
        if city == "Berlin" and rng.random() < 0.4:
            spoken.append(LanguageSkill(code="de", level=rng.choice(("basic", "conversational", "fluent"))))
        return spoken
    spoken = [LanguageSkill(code="ru", level="native")] if rng.random() < 0.85 else []
    if rng.random() < (0.75 if profession.it else 0.35):
        spoken.append(LanguageSkill(code="en", level=rng.choices(_ENGLISH_LEVELS, _ENGLISH_WEIGHTS)[0]))
    return spoken


def resume_profile(
    seed: int, index: int, profession: Profession, city: str | None, years: float, english: bool, jobs: list[Job]
) -> ResumeProfile:
    """The version 2 fields of the ``index``-th resume of ``seed`` (``city`` None: remote work); ``jobs`` are the
    ones its text describes."""
    rng = random.Random(f"careerrank-synthetic:{seed}:resume:{index}:profile")
    history = work_history(rng, jobs or [_first_job(rng, profession, english)], years)
    started = int(history[-1].start[:4])
    education = _education(rng, profession, english, started) if rng.random() < 0.9 else []
    remote = city is None or rng.random() < (0.4 if profession.it else 0.1)
    employment, schedule = _conditions(rng, profession, city is None)
    age = _age(rng, education, started) if rng.random() < 0.65 else None
    gender = rng.choice(_GENDERS) if rng.random() < 0.55 else None
    return ResumeProfile(
        work_history=history,
        education=education,
        languages=_languages(rng, profession, english, city),
        relocation=rng.choices((None, False, True), (0.3, 0.45, 0.25))[0],
        remote=True if remote else rng.choice((None, False)),
        employment=employment,
        schedule=schedule,
        age=age,
        gender=gender,
    )
