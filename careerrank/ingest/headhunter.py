"""HeadHunter CSV dumps (API vacancies flattened by pandas; the well-known hh.ru resume table).

Headers vary between dumps, so columns are found case-insensitively and by prefix. The resume table's
``Пол, возраст`` and ``Авто`` columns are never read. The structured fields of schema version 2 come from
:mod:`careerrank.ingest.headhunter_profiles`.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from careerrank.ingest.cleaning import Salary, clean_cell, is_null, parse_salary, parse_years
from careerrank.ingest.headhunter_profiles import RESUME_COLUMNS, VACANCY_COLUMNS, resume_profile, vacancy_profile
from careerrank.ingest.records import PostingFields, SourceError, build_posting, csv_rows, find_column
from schemas import Kind, Upsert

SOURCE = "headhunter"
FALLBACK_TIME = datetime(2019, 1, 1, tzinfo=UTC)
MOSCOW = timezone(timedelta(hours=3))
HH_EXPERIENCE = {"noexperience": 0.0, "between1and3": 1.0, "between3and6": 3.0, "morethan6": 6.0}
_CURRENCY_ALIASES = {"RUR": "RUB", "BYR": "BYN"}

# Column candidates, in order of preference; a trailing "*" also matches headers that begin with it.
_VACANCY = {
    "id": ("id",),
    "title": ("name", "title", "название*", "vacancy"),
    "description": ("description", "описание*"),
    "requirement": ("snippet_requirement", "requirement"),
    "responsibility": ("snippet_responsibility", "responsibility"),
    "skills": ("key_skills", "skills", "ключевые навыки*"),
    "salary_from": ("salary_from",),
    "salary_to": ("salary_to",),
    "currency": ("salary_currency", "currency"),
    "salary": ("salary", "зарплата*", "зп"),
    "city": ("area_name", "area", "city", "город*"),
    "experience": ("experience_name", "experience", "experience_id", "опыт*"),
    "employment": ("employment_name", "employment", "занятость"),
    "schedule": ("schedule_name", "schedule", "график"),
    "published": ("published_at", "created_at", "date", "дата*"),
    **VACANCY_COLUMNS,
}
_RESUME = {
    "id": ("id",),
    "title": ("ищет работу на должность*", "желаемая должность*", "должность"),
    "salary": ("зп", "зарплата*", "salary"),
    "city": ("город*", "city"),
    "employment": ("занятость",),
    "schedule": ("график",),
    "experience": ("опыт (двойное нажатие*", "опыт работы*", "опыт"),
    "last_place": ("последенее/нынешнее место*", "последнее/нынешнее место*", "место работы*"),
    "last_position": ("последеняя/нынешняя должность*", "последняя/нынешняя должность*"),
    "education": ("образование*",),
    "skills": ("ключевые навыки*", "навыки*", "skills"),
    "updated": ("обновление резюме*", "updated*"),
    **RESUME_COLUMNS,
}
_HEADER_MARKERS = ("ищет работу на должность*", "город, переезд*")
_EDUCATION_LEVEL = re.compile(r"^\D*?образование", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Columns:
    """Which header of this file holds each field (``None``: the dump lacks it)."""

    names: Mapping[str, str | None]

    @classmethod
    def resolve(cls, headers: Sequence[str], candidates: Mapping[str, tuple[str, ...]]) -> Columns:
        return cls({key: find_column(headers, *names) for key, names in candidates.items()})

    def get(self, row: Mapping[str, str], key: str) -> str:
        column = self.names.get(key)
        return clean_cell(row.get(column)) if column else ""


def kind_of_header(headers: Sequence[str]) -> Kind | None:
    """``"resume"`` for the hh.ru resume table, ``"vacancy"`` for a vacancy dump, else ``None``."""
    if any(find_column(headers, marker) for marker in _HEADER_MARKERS):
        return "resume"
    if find_column(headers, "name") and any(
        find_column(headers, c) for c in ("description", "key_skills", "area*", "salary*", "employer*")
    ):
        return "vacancy"
    return None


def parse_skills(cell: str) -> list[str]:
    """Skills written as a JSON or Python list (of names or ``{"name": ...}``) or as delimited text."""
    items: list[Any]
    if cell.startswith("["):
        try:
            items = json.loads(cell)
        except json.JSONDecodeError:
            try:
                items = ast.literal_eval(cell)
            except (ValueError, SyntaxError):
                items = re.split(r"[,;\n]", cell.strip("[]"))
    else:
        items = re.split(r"[,;\n]", cell)
    names = [item.get("name") if isinstance(item, dict) else item for item in items]
    skills: list[str] = []
    for name in names:
        skill = clean_cell(name).strip("'\" ")
        if skill and skill.lower() not in (s.lower() for s in skills):
            skills.append(skill)
    return skills


def _number(cell: str) -> int | None:
    try:
        value = float(cell.replace(" ", "").replace(",", "."))
    except ValueError:
        return None
    return round(value) if value > 0 else None


def _salary(columns: Columns, row: Mapping[str, str]) -> Salary:
    low, high = _number(columns.get(row, "salary_from")), _number(columns.get(row, "salary_to"))
    code = columns.get(row, "currency").upper()
    text = columns.get(row, "salary")
    if text.startswith("{"):
        # The API's salary object as pandas wrote it: {'from': 100000, 'to': None, 'currency': 'RUR'}.
        try:
            obj = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            obj = None
        if isinstance(obj, dict):
            low = low or _number(str(obj.get("from") or ""))
            high = high or _number(str(obj.get("to") or ""))
            code = code or str(obj.get("currency") or "").upper()
            text = ""
    if low is None and high is None and text:
        low, high, parsed = parse_salary(text)
        code = code or parsed
    code = _CURRENCY_ALIASES.get(code, code)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return Salary(low, high, code if re.fullmatch(r"[A-Z]{3}", code) else "RUB")


def _parse_time(text: str) -> datetime | None:
    for fmt in (None, "%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _timestamp(text: str, fallback: datetime) -> datetime:
    moment = _parse_time(text.strip()) if text else None
    if moment is None:
        return fallback
    # hh.ru shows Moscow time when a dump carries no offset.
    return moment if moment.tzinfo else moment.replace(tzinfo=MOSCOW)


def _experience(text: str) -> float | None:
    return HH_EXPERIENCE.get(text.lower()) if text.lower() in HH_EXPERIENCE else parse_years(text)


def vacancy_fields(columns: Columns, row: Mapping[str, str]) -> PostingFields:
    """Event fields of one vacancy row."""
    title = columns.get(row, "title")
    parts = [columns.get(row, k) for k in ("description", "responsibility", "requirement")]
    for key, label in (("employment", "Занятость"), ("schedule", "График")):
        if value := columns.get(row, key):
            parts.append(f"{label}: {value}")
    text = "\n".join(p for p in parts if p)
    city = columns.get(row, "city") or None
    experience = _experience(columns.get(row, "experience"))
    skills = parse_skills(columns.get(row, "skills"))
    profile = vacancy_profile(partial(columns.get, row))
    return PostingFields(title, text, skills, _salary(columns, row), city, experience, profile)


def city_of(cell: str) -> str | None:
    """``"Москва (м. Сокол) , готов к переезду"`` → ``"Москва"``."""
    city = re.sub(r"\(.*?\)", "", cell.split(",", 1)[0]).strip()
    city = re.sub(r"^(?:г\.|г\s)\s*", "", city)
    return None if is_null(city) else city


def resume_fields(columns: Columns, row: Mapping[str, str]) -> PostingFields:
    """Event fields of one resume row; the sex/age and car columns are never read."""
    position, place = columns.get(row, "last_position"), columns.get(row, "last_place")
    lines = []
    if position or place:
        lines.append("Последняя должность: " + " — ".join(p for p in (position, place) if p))
    lines.append(columns.get(row, "experience"))
    for key, label in (("employment", "Занятость"), ("schedule", "График")):
        if value := columns.get(row, key):
            lines.append(f"{label}: {value}")
    # The level only: the rest of the cell holds the graduation year, a proxy for age.
    if level := _EDUCATION_LEVEL.match(columns.get(row, "education")):
        lines.append(f"Образование: {level.group(0).strip()}")
    return PostingFields(
        columns.get(row, "title"),
        "\n".join(line for line in lines if line),
        parse_skills(columns.get(row, "skills")),
        parse_salary(columns.get(row, "salary")),
        city_of(columns.get(row, "city")),
        parse_years(columns.get(row, "experience")[:80]),
        resume_profile(partial(columns.get, row)),
    )


def read(path: Path, kind: Kind, headers: Sequence[str]) -> Iterator[Upsert | SourceError]:
    """Every row of a HeadHunter CSV, converted (``hh-vacancy-<row>`` ids unless the dump has ``id``)."""
    columns = Columns.resolve(headers, _VACANCY if kind == "vacancy" else _RESUME)
    for line, row in csv_rows(path):
        item_id = columns.get(row, "id") or f"hh-{kind}-{line}"
        fallback = FALLBACK_TIME + timedelta(seconds=line)
        if kind == "vacancy":
            fields, when = vacancy_fields(columns, row), _timestamp(columns.get(row, "published"), fallback)
        else:
            fields, when = resume_fields(columns, row), _timestamp(columns.get(row, "updated"), fallback)
        yield build_posting(kind, SOURCE, item_id, when, fields, path, line)
