"""SuperJob CSV exports (irtery/superjob-salary-prediction layout) converted to upsert events.

Resumes carry age, gender, citizenship and car licences: none of them reaches an event, not even
through the event id, so two candidates who differ only in those get identical events.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from careerrank.ingest.cleaning import clean_cell, parse_salary, parse_years
from careerrank.ingest.records import PostingFields, SourceError, build_posting, csv_rows, normalise_header
from careerrank.ingest.superjob_profiles import literal_list, resume_profile, vacancy_profile
from schemas import Kind, ResumeUpserted, Upsert, VacancyUpserted

SOURCE = "superjob"
BASE_TIME = datetime(2018, 11, 1, tzinfo=UTC)
VACANCY_COLUMNS = frozenset({"address", "duties", "requirements", "conditions"})
RESUME_COLUMNS = frozenset({"experience_length", "skills"})
MAX_SKILL_ITEM = 60
MAX_SKILL_WORDS = 5

MAJOR_CITIES = frozenset(
    {
        "Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород",
        "Челябинск", "Самара", "Омск", "Ростов-на-Дону", "Уфа", "Красноярск", "Воронеж", "Пермь",
        "Волгоград", "Краснодар", "Саратов", "Тюмень", "Тольятти", "Ижевск", "Барнаул", "Ульяновск",
        "Иркутск", "Хабаровск", "Ярославль", "Владивосток", "Махачкала", "Томск", "Оренбург",
        "Кемерово", "Новокузнецк", "Рязань", "Астрахань", "Набережные Челны", "Пенза", "Липецк", "Киров",
        "Тула", "Чебоксары", "Калининград", "Курск", "Ставрополь", "Сочи", "Тверь", "Брянск",
        "Иваново", "Белгород", "Владимир", "Архангельск", "Калуга", "Смоленск", "Вологда", "Мурманск",
        "Севастополь", "Симферополь", "Орел", "Орёл", "Петрозаводск", "Кострома", "Псков", "Сургут",
    }
)  # fmt: skip
_NOT_A_CITY = re.compile(
    r"\d|обл\b|област|край|р-н|район|респ|\bул\b|улиц|шоссе|бульвар|проспект|пр-кт|пр-д|переул|"
    r"проезд|набережн|наб\b|площад|^м\.|^ст\.?м|метро|поселок|посёлок|^пос\b|^с\.|^д\.|^тер\b",
    re.IGNORECASE,
)
_CITY_PREFIX = re.compile(r"^(?:г\.|г\s|город\s)\s*", re.IGNORECASE)
_CITY_WORD = re.compile(r"[А-ЯЁ][а-яё]+(?:-[а-яёА-ЯЁ]+)*(?: [А-ЯЁ][а-яё]+)?")
_SENTENCE_GLUE = re.compile(r"(?<=[a-zа-яё.!?:)])(?=[А-ЯЁ][а-яё])")
# Sentence ends, ";" and line breaks, and inline numbering ("1. ... 2. ...") delimit skill lists.
_SKILL_SENTENCES = re.compile(r"[;\n]|(?<=[.!?])\s+(?=[A-ZА-ЯЁ0-9«\"(-])|\s+(?=\d{1,2}[.)]\s)")
_BULLET = re.compile(r"^(?:\s*(?:[-–•*]|\d{1,2}[.)])\s*)+")
_LETTER = re.compile(r"[^\W\d_]")
_SECTIONS = (("duties", "Обязанности"), ("requirements", "Требования"), ("conditions", "Условия"))


def city_from_address(address: str) -> str | None:
    """The city of an address: a known major city if one is named, else a lone city-like part."""
    parts = []
    for raw in clean_cell(address).split(","):
        part = _CITY_PREFIX.sub("", re.sub(r"\(.*?\)", "", raw)).strip()
        parts.append(re.sub(r"\s*-\s*", "-", part))
    for part in parts:
        if part in MAJOR_CITIES:
            return part
    for part in parts:
        if part and not _NOT_A_CITY.search(part) and _CITY_WORD.fullmatch(part):
            return part
    return None


def _sentences(items: str) -> list[str]:
    lines = []
    for item in _SENTENCE_GLUE.sub(" ", items).split(";"):
        item = item.strip(" -•●*\n")
        if item:
            lines.append(item if item[-1] in ".!?:" else item + ".")
    return lines


def vacancy_fields(row: Mapping[str, str]) -> PostingFields:
    """Event fields of one vacancy row."""
    sections = []
    for column, label in _SECTIONS:
        lines = _sentences(clean_cell(row.get(column)))
        if lines:
            sections.append(f"{label}: " + "\n".join(lines))
    return PostingFields(
        clean_cell(row.get("name")),
        "\n".join(sections),
        salary=parse_salary(clean_cell(row.get("salary"))),
        city=city_from_address(clean_cell(row.get("address"))),
        experience_years=parse_years(clean_cell(row.get("experience"))),
        profile=vacancy_profile(row),
    )


def _split_outside_brackets(text: str) -> list[str]:
    pieces: list[str] = []
    depth = start = 0
    for i, char in enumerate(text):
        depth += (char in "([") - (char in ")]")
        # "Raid 0,1,5" is one item, not four.
        between_digits = 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        if char == "," and depth <= 0 and not between_digits:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p for p in (_BULLET.sub("", p).strip(" .\n") for p in pieces) if _LETTER.search(p)]


def _is_short(item: str) -> bool:
    return len(item) <= MAX_SKILL_ITEM and len(item.split()) <= MAX_SKILL_WORDS


def split_skills(text: str) -> tuple[list[str], list[str]]:
    """Short skill items of a free-text skills cell, and the prose it also holds.

    A sentence counts as a list when most of its comma-separated parts are short; its long parts, and
    sentences that are not lists, are returned as prose.
    """
    skills: list[str] = []
    prose: list[str] = []
    seen: set[str] = set()
    for sentence in _SKILL_SENTENCES.split(text):
        items = _split_outside_brackets(sentence)
        short = [item for item in items if _is_short(item)]
        if len(short) < len(items) * 2 / 3:
            if stripped := _BULLET.sub("", sentence).strip(" ;\n"):
                prose.append(stripped)
            continue
        prose.extend(item for item in items if not _is_short(item))
        for item in short:
            if item.lower() not in seen:
                seen.add(item.lower())
                skills.append(item)
    return skills, prose


def _experience_line(entry: Mapping[str, Any]) -> str:
    name, company = clean_cell(entry.get("name")), clean_cell(entry.get("company"))
    body = " ".join(p for p in (clean_cell(entry.get("duties")), clean_cell(entry.get("achievments"))) if p)
    head = " — ".join(p for p in (name, company) if p)
    return f"{head}: {body}" if head and body else head or body


def resume_fields(row: Mapping[str, str]) -> PostingFields:
    """Event fields of one resume row; personal columns are never read."""
    lines = [_experience_line(e) for e in literal_list(row.get("experience")) if isinstance(e, dict)]
    skills: list[str] = []
    seen: set[str] = set()
    for entry in literal_list(row.get("skills")):
        if not isinstance(entry, dict):
            continue
        if professional := clean_cell(entry.get("professional")):
            short, prose = split_skills(professional)
            for skill in short:
                if skill.lower() not in seen:
                    seen.add(skill.lower())
                    skills.append(skill)
            if prose:
                lines.append("Навыки: " + "; ".join(prose))
        if extra := clean_cell(entry.get("extra")):
            lines.append(f"Личные качества: {extra}")
    # Level and specialty only: the year and the university say more about the person than the skill.
    education = [
        ", ".join(p for p in (clean_cell(e.get("kind")), clean_cell(e.get("specialty"))) if p)
        for e in literal_list(row.get("education"))
        if isinstance(e, dict)
    ]
    if any(education):
        lines.append("Образование: " + "; ".join(e for e in education if e))
    languages = [clean_cell(x) for x in literal_list(row.get("languages")) if clean_cell(x)]
    if languages:
        lines.append("Языки: " + "; ".join(languages))
    return PostingFields(
        clean_cell(row.get("name")),
        "\n".join(line for line in lines if line),
        skills,
        parse_salary(clean_cell(row.get("salary"))),
        clean_cell(row.get("city")) or None,
        parse_years(clean_cell(row.get("experience_length"))),
        resume_profile(row),
    )


def convert(kind: Kind, row: Mapping[str, str], line: int, path: Path) -> Upsert | SourceError:
    """One SuperJob row as an event (``sj-vacancy-<row>`` / ``sj-resume-<row>``), or why it gives none."""
    number = clean_cell(row.get("row"))
    key = int(number) if number.isdigit() else line
    fields = vacancy_fields(row) if kind == "vacancy" else resume_fields(row)
    return build_posting(kind, SOURCE, f"sj-{kind}-{key}", BASE_TIME + timedelta(seconds=key), fields, path, line)


def kind_of_header(headers: list[str]) -> Kind | None:
    """``"vacancy"`` or ``"resume"`` for a SuperJob header, ``None`` for any other file."""
    names = {normalise_header(h) for h in headers}
    if names >= VACANCY_COLUMNS:
        return "vacancy"
    if names >= RESUME_COLUMNS:
        return "resume"
    return None


def read(path: Path, kind: Kind) -> Iterator[VacancyUpserted | ResumeUpserted | SourceError]:
    """Every row of a SuperJob CSV, converted."""
    for line, row in csv_rows(path):
        yield convert(kind, row, line, path)
