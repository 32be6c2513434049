"""The structured fields (schema version 2) of HeadHunter rows: last job, education, languages, conditions.

Only what the dump states is filled; a period, level or language worded in a way not listed here is left out
rather than guessed, so a posting never fails for its profile. The sex/age column is not read, and neither is
the graduation year of the education cell (a proxy for age), as in :mod:`careerrank.ingest.headhunter`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, Final

from careerrank.ingest.superjob_profiles import LANGUAGES, MONTHS

Cells = Callable[[str], str]
"""The cleaned cell of a field of one row by its key (``""`` where the dump lacks it)."""

# Column candidates besides those the reader already resolves; a trailing "*" matches a header's beginning.
RESUME_COLUMNS: Final = {
    "languages": ("языки*", "знание языков*", "иностранные языки*", "languages"),
    "relocation": ("готовность к переезду*", "переезд", "relocation"),
}
VACANCY_COLUMNS: Final = {
    "employer_id": ("employer_id",),
    "employer": ("employer_name", "employer", "работодатель*", "компания*", "company*"),
}

# Levels as hh.ru heads a resume's education; a degree may follow in brackets ("Высшее образование (Магистр)").
EDUCATION: Final = (
    ("неоконченное высшее", "incomplete_higher"),
    ("незаконченное высшее", "incomplete_higher"),
    ("неполное высшее", "incomplete_higher"),
    ("среднее специальное", "vocational"),
    ("высшее образование", "higher"),
    ("среднее образование", "secondary"),
    ("бакалавр", "bachelor"),
    ("магистр", "master"),
    ("кандидат наук", "phd"),
    ("доктор наук", "phd"),
)
_DEGREE = re.compile(r"\((бакалавр|магистр|кандидат наук|доктор наук)\)")
# B2 is conversational, not technical: the schema orders technical below conversational, and B2 is above B1.
CEFR: Final = {
    "a1": "basic", "a2": "basic", "b1": "conversational", "b2": "conversational", "c1": "fluent", "c2": "fluent",
}  # fmt: skip
# The level names hh.ru shows next to a CEFR code, and its older wordings; matched as the whole level text.
LEVELS: Final = {
    "родной": "native",
    "в совершенстве": "fluent",
    "продвинутый": "fluent",
    "свободно владею": "fluent",
    "свободное владение": "fluent",
    "средне-продвинутый": "conversational",
    "средний": "conversational",
    "могу проходить интервью": "conversational",
    "разговорный": "conversational",
    "читаю профессиональную литературу": "technical",
    "технический": "technical",
    "элементарный": "basic",
    "начальный": "basic",
    "базовые знания": "basic",
    "базовый": "basic",
}
# Latin or Cyrillic letters: Cyrillic "В" and "С" are typed for "B" and "C".
_CEFR = re.compile(r"(?<!\w)([aа]|[bв]|[cс])([12])(?!\w)")
_LATIN = str.maketrans("авс", "abc")
_LANGUAGE = re.compile(r"([а-я]+)(?:\s+язык)?(?![а-я])(.*)", re.DOTALL)
# hh.ru's words (resumes) and the API's names and ids (vacancies).
EMPLOYMENT: Final = {
    "полная занятость": "full",
    "частичная занятость": "part",
    "проектная работа": "project",
    "стажировка": "internship",
    "волонтерство": "volunteer",
}
SCHEDULES: Final = {
    "полный день": "full_day",
    "сменный график": "shift",
    "гибкий график": "flexible",
    "удаленная работа": "remote",
    "вахтовый метод": "rotation",
}
API_IDS: Final = {
    "full": ("employment", "full"), "part": ("employment", "part"), "project": ("employment", "project"),
    "probation": ("employment", "internship"), "volunteer": ("employment", "volunteer"),
    "fullday": ("schedule", "full_day"), "shift": ("schedule", "shift"), "flexible": ("schedule", "flexible"),
    "remote": ("schedule", "remote"), "flyinflyout": ("schedule", "rotation"),
}  # fmt: skip
# Any "<word> <year> — <end>" is a period; the month word must then be a known one, or the job is left out.
_PERIOD = re.compile(
    r"([а-я]+)\s+(\d{4})\s*[—–-]\s*(?:(?:по\s+)?(настоящее\s+время)|([а-я]+)\s+(\d{4}))", re.IGNORECASE
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()


def month(name: str, year: str) -> str | None:
    """``("Август", "2010")`` as ``"2010-08"``; None for an unknown month word or a year outside 1900–2099."""
    number = MONTHS.get(name.lower())
    return f"{year}-{number:02d}" if number and re.fullmatch(r"(19|20)\d{2}", year) else None


def _find(needle: str, haystack: str, start: int = 0) -> re.Match[str] | None:
    words = re.findall(r"\w+", needle.replace("ё", "е").replace("Ё", "Е"))
    if not words:
        return None
    pattern = r"(?<!\w)" + r"\W*".join(map(re.escape, words)) + r"(?!\w)"
    return re.compile(pattern, re.IGNORECASE).search(haystack.replace("ё", "е").replace("Ё", "Е"), start)


def last_job(experience: str, position: str, employer: str) -> dict[str, Any] | None:
    """The current or last job: its position and employer from their own columns, dated by the first period of
    the experience cell (hh.ru lists the latest job first).

    None unless that period is worded as a known month and year to a month and year or "по настоящее время",
    and its part of the cell names the position or the employer, so that the dates belong to that job.
    Earlier jobs are not read: the dump states their positions only inside free text.
    """
    periods = list(_PERIOD.finditer(experience))
    if not periods or not re.search(r"\w", position):
        return None
    first = periods[0]
    start = month(first.group(1), first.group(2))
    end = None if first.group(3) else month(first.group(4) or "", first.group(5) or "")
    if start is None or (first.group(3) is None and (end is None or end < start)):
        return None
    segment = experience[first.end() : periods[1].start() if len(periods) > 1 else len(experience)]
    at_employer = _find(employer, segment) if employer else None
    at_position = _find(position, segment, at_employer.end() if at_employer else 0)
    if at_position is None and at_employer is None:
        return None
    # Matched whole, cut to what the schema holds afterwards: a cut name need not occur in the cell.
    job: dict[str, Any] = {"position": position[:500], "start": start, "end": end}
    if employer:
        job["employer"] = employer[:500]
    # What follows the position is the job's description on hh.ru's resume page.
    if at_position and (duties := segment[at_position.end() :].lstrip(" \n.,;:—–-").rstrip()[:20_000]):
        job["duties"] = duties
    return job


def education_level(cell: str) -> str | None:
    """The level heading an education cell (``"Высшее образование (Магистр) 2012 МГУ"`` → ``"master"``)."""
    head = _norm(re.split(r"\d", cell, maxsplit=1)[0])
    if degree := _DEGREE.search(head):
        return dict(EDUCATION)[degree.group(1)]
    return next((level for wording, level in EDUCATION if re.match(rf"{wording}(?!\w)", head)), None)


def language(entry: str) -> dict[str, str] | None:
    """``"Английский — B2 — Средне-продвинутый"`` as ``{"code": "en", "level": "conversational"}``.

    None for a language not in the table, or a level missing or worded otherwise than listed.
    """
    found = _LANGUAGE.fullmatch(_norm(entry))
    code = LANGUAGES.get(found.group(1)) if found else None
    if found is None or code is None:
        return None
    rest = found.group(2)
    if cefr := _CEFR.search(rest):
        return {"code": code, "level": CEFR[cefr.group(1).translate(_LATIN) + cefr.group(2)]}
    level = LEVELS.get(_norm(re.sub(r"[()\[\]—–:.,]|\s-\s|^\s*-|-\s*$", " ", rest)))
    return {"code": code, "level": level} if level else None


def languages(cell: str) -> list[dict[str, str]]:
    """Every readable language of a cell listing them by ``,``, ``;`` or line; the first mention of one wins."""
    spoken: dict[str, dict[str, str]] = {}
    for entry in re.split(r"[,;\n]", cell):
        if (skill := language(entry)) and skill["code"] not in spoken:
            spoken[skill["code"]] = skill
    return list(spoken.values())[:20]


def relocation(cell: str) -> bool | None:
    """Readiness to move as the city cell or a column of its own states it; None where it says neither."""
    text = _norm(cell)
    # "не готов к командировкам" says nothing of moving: only the words about moving count.
    if re.search(r"(?<!\w)не готов[аы]? к переезду", text) or re.fullmatch(r"не готов[аы]?|нет", text):
        return False
    if re.search(r"(?<!\w)(?:готов[аы]? к переезду|хочу переехать)", text) or re.fullmatch(r"готов[аы]?|да", text):
        return True
    return None


def conditions(employment: str, schedule: str) -> dict[str, Any]:
    """Employment types, schedules and remote work from the "Занятость" and "График" cells."""
    out: dict[str, set[str]] = {"employment": set(), "schedule": set()}
    for cell, table, field in ((employment, EMPLOYMENT, "employment"), (schedule, SCHEDULES, "schedule")):
        text = _norm(cell)
        out[field] |= {value for wording, value in table.items() if wording in text}
        for item in re.split(r"\W+", text):
            if item in API_IDS and API_IDS[item][0] == field:
                out[field].add(API_IDS[item][1])
    profile: dict[str, Any] = {field: sorted(values) for field, values in out.items() if values}
    if "remote" in out["schedule"]:
        profile["remote"] = True
    return profile


def employer_id(cells: Cells) -> str | None:
    """The employer: hh.ru's id where the dump has it, else a stable hash of the employer's name."""
    employer = cells("employer")
    # The API's employer object as pandas wrote it: {'id': '1740', 'name': 'Яндекс', ...}.
    in_object = re.search(r"[\"']id[\"']\s*:\s*[\"']?(\d+)", employer) if employer.startswith("{") else None
    key = re.sub(r"\.0$", "", cells("employer_id")) or (in_object.group(1) if in_object else "")
    if re.fullmatch(r"[A-Za-z0-9_.:\-]{1,100}", key):
        return f"hh-employer-{key}"
    name = re.sub(r"[\"'«»“”„]", "", _norm(employer))
    if not name or employer.startswith("{"):
        return None
    return "hh-employer-name-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def resume_profile(cells: Cells) -> dict[str, Any]:
    """The structured fields of a resume row."""
    job = last_job(cells("experience"), cells("last_position"), cells("last_place"))
    level = education_level(cells("education"))
    profile: dict[str, Any] = {
        "work_history": [job] if job else [],
        "education": [{"level": level}] if level else [],
        "languages": languages(cells("languages")),
    }
    moves = relocation(cells("relocation"))
    profile["relocation"] = relocation(cells("city")) if moves is None else moves
    profile.update(conditions(cells("employment"), cells("schedule")))
    return {key: value for key, value in profile.items() if value not in (None, [])}


def vacancy_profile(cells: Cells) -> dict[str, Any]:
    """The structured fields of a vacancy row."""
    profile = conditions(cells("employment"), cells("schedule"))
    if employer := employer_id(cells):
        profile["employer_id"] = employer
    return profile
