"""The structured fields (schema version 2) of SuperJob rows: work history, education, languages, conditions.

Only what the export states is filled; a period, level or language it words in a way not listed here is left
out rather than guessed, so a posting never fails for its profile. Age, gender, citizenship and car licences
are not read (see :mod:`careerrank.ingest.superjob`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from careerrank.ingest.cleaning import clean_cell

MONTHS = {
    "январь": 1, "февраль": 2, "март": 3, "апрель": 4, "май": 5, "июнь": 6,
    "июль": 7, "август": 8, "сентябрь": 9, "октябрь": 10, "ноябрь": 11, "декабрь": 12,
}  # fmt: skip
EDUCATION = {
    "высшее образование": "higher",
    "неполное высшее образование": "incomplete_higher",
    "среднее специальное образование": "vocational",
    "среднее образование": "secondary",
    "бакалавр": "bachelor",
    "магистр": "master",
    "кандидат наук": "phd",
    "доктор наук": "phd",
}
LANGUAGES = {
    "английский": "en", "немецкий": "de", "французский": "fr", "испанский": "es", "итальянский": "it",
    "русский": "ru", "украинский": "uk", "белорусский": "be", "казахский": "kk", "узбекский": "uz",
    "азербайджанский": "az", "армянский": "hy", "грузинский": "ka", "китайский": "zh", "японский": "ja",
    "корейский": "ko", "турецкий": "tr", "польский": "pl", "арабский": "ar", "португальский": "pt",
}  # fmt: skip
LEVELS = {
    "базовый": "basic",
    "технический": "technical",
    "разговорный": "conversational",
    "свободное владение": "fluent",
    "родной": "native",
}
# What the "employment" column says: an employment type, or a schedule.
EMPLOYMENT = {
    "полная занятость": "full",
    "частичная занятость": "part",
    "неполный рабочий день": "part",
    "проектная работа": "project",
    "стажировка": "internship",
}
SCHEDULES = {
    "сменный график работы": "shift",
    "работа вахтовым методом": "rotation",
    "удалённая работа": "remote",
    "гибкий график": "flexible",
}
_MONTH = re.compile(r"([а-яё]+)\s+((?:19|20)\d{2})")
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")


def literal_list(cell: object) -> list[Any]:
    """A cell holding a Python list literal, as the export writes nested records; [] for anything else."""
    text = clean_cell(cell)
    if not text.startswith("["):
        return []
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    return value if isinstance(value, list) else []


def month(text: str) -> str | None:
    """``"апрель 2014"`` as ``"2014-04"``; None for anything else."""
    found = _MONTH.fullmatch(text.strip().lower())
    if found is None or found.group(1) not in MONTHS:
        return None
    return f"{found.group(2)}-{MONTHS[found.group(1)]:02d}"


def work_period(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """One job of the export's "experience" column, or None if its position or period cannot be read."""
    position = clean_cell(entry.get("name"))[:500]
    start_text, _, end_text = clean_cell(entry.get("period")).partition("–")
    start = month(start_text)
    current = "работает сейчас" in end_text
    end = None if current else month(end_text)
    if not position or start is None or (end is None and not current) or (end is not None and end < start):
        return None
    period: dict[str, Any] = {"position": position, "start": start, "end": end}
    if company := clean_cell(entry.get("company"))[:500]:
        period["employer"] = company
    if duties := clean_cell(entry.get("duties"))[:20_000]:
        period["duties"] = duties
    return period


def education(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    level = EDUCATION.get(clean_cell(entry.get("kind")).lower())
    if level is None:
        return None
    out: dict[str, Any] = {"level": level}
    if year := _YEAR.search(clean_cell(entry.get("period"))):
        out["year"] = int(year.group(1))
    if field := clean_cell(entry.get("specialty"))[:500]:
        out["field"] = field
    return out


def language(text: str) -> dict[str, str] | None:
    """``"Английский язык, Технический"`` as ``{"code": "en", "level": "technical"}``."""
    name, _, level = clean_cell(text).lower().replace("c", "с").partition(",")  # a Latin "c" in "Cвободное"
    code = LANGUAGES.get(name.removesuffix(" язык").strip())
    if code is None:
        return None
    return {"code": code, "level": LEVELS.get(level.strip(), "conversational")}


def conditions(cell: object) -> dict[str, Any]:
    """Employment type, schedule and remote work from the "employment" column."""
    text = clean_cell(cell).lower().replace("\xa0", " ")
    out: dict[str, Any] = {}
    if employment := sorted({v for k, v in EMPLOYMENT.items() if k in text}):
        out["employment"] = employment
    if schedule := sorted({v for k, v in SCHEDULES.items() if k in text}):
        out["schedule"] = schedule
    if "remote" in out.get("schedule", []):
        out["remote"] = True
    return out


def resume_profile(row: Mapping[str, str]) -> dict[str, Any]:
    """The structured fields of a resume row."""
    history = [p for e in literal_list(row.get("experience")) if isinstance(e, dict) and (p := work_period(e))]
    schooling = [s for e in literal_list(row.get("education")) if isinstance(e, dict) and (s := education(e))]
    spoken = {}
    for text in literal_list(row.get("languages")):
        if isinstance(text, str) and (skill := language(text)) and skill["code"] not in spoken:
            spoken[skill["code"]] = skill
    profile: dict[str, Any] = {
        "work_history": history[:60],
        "education": schooling[:20],
        "languages": list(spoken.values())[:20],
    }
    if clean_cell(row.get("metro_or_moving")).lower().startswith("готов к переезду"):
        profile["relocation"] = True
    profile.update(conditions(row.get("employment")))
    return {key: value for key, value in profile.items() if value}


def vacancy_profile(row: Mapping[str, str]) -> dict[str, Any]:
    """The structured fields of a vacancy row (the export names no employer)."""
    return conditions(row.get("employment"))
