from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from careerrank.ingest import (
    InvalidRecord,
    ReadStats,
    SourceFormatError,
    count_records,
    detect_format,
    read_events,
    superjob,
    write_jsonl,
)
from careerrank.ingest.records import csv_rows
from schemas import ResumeUpserted, Upsert, VacancyClosed, VacancyUpserted
from tests.paths import FIXTURES_DIR, SUPERJOB_DIR

SJ_VACANCIES = SUPERJOB_DIR / "vacancies.csv"
SJ_RESUMES = SUPERJOB_DIR / "resumes.csv"
HH_VACANCIES = FIXTURES_DIR / "hh_vacancies.csv"
HH_RESUMES = FIXTURES_DIR / "hh_resumes.csv"
NAN_WORD = re.compile(r"\bnan\b", re.IGNORECASE)
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")

needs_superjob = pytest.mark.skipif(not SJ_VACANCIES.exists(), reason=f"SuperJob sample not found at {SUPERJOB_DIR}")


def _upserts(path: Path, stats: ReadStats | None = None) -> list[Upsert]:
    events = list(read_events(path, stats=stats))
    assert all(isinstance(e, VacancyUpserted | ResumeUpserted) for e in events)
    return [e for e in events if isinstance(e, VacancyUpserted | ResumeUpserted)]


def _values(event: Upsert) -> Iterator[str]:
    yield from (event.title, event.text, event.city or "", event.currency, *event.skills)


@needs_superjob
@pytest.mark.parametrize(("path", "kind", "rows"), [(SJ_VACANCIES, "vacancy", 530), (SJ_RESUMES, "resume", 266)])
def test_superjob_every_row_becomes_an_event(path: Path, kind: str, rows: int) -> None:
    fmt = detect_format(path)
    assert (fmt.name, fmt.kind) == ("superjob", kind)
    assert count_records(path) == rows
    stats = ReadStats()
    events = _upserts(path, stats)
    # Every SuperJob row has a title (vacancy name / desired position), so none is empty enough to skip.
    assert stats.skipped == 0, stats.reasons
    assert (stats.records, stats.events, len(events)) == (rows, rows, rows)
    assert len({e.id for e in events}) == rows
    assert len({e.event_id for e in events}) == rows
    assert all(re.fullmatch(rf"sj-{kind}-\d+", e.id) for e in events)


@needs_superjob
@pytest.mark.parametrize("path", [SJ_VACANCIES, SJ_RESUMES])
def test_superjob_fields_are_clean(path: Path) -> None:
    for event in _upserts(path):
        for value in _values(event):
            assert not NAN_WORD.search(value), (event.id, value[:80])
            assert not HTML_TAG.search(value), (event.id, value[:80])
        assert event.title
        assert event.language in {"ru", "en"}


@needs_superjob
def test_superjob_vacancy_fields() -> None:
    events = {e.id: e for e in _upserts(SJ_VACANCIES)}
    first = events["sj-vacancy-0"]
    assert first.title == "Администратор-кассир"
    assert first.city == "Москва"  # from "Крылатское, Москва, Осенний бульвар, 12к1"
    assert first.text.startswith("Обязанности: ")
    assert "\nТребования: " in first.text and "\nУсловия: " in first.text
    assert first.occurred_at == datetime(2018, 11, 1, tzinfo=UTC)
    # Every SuperJob vacancy in the sample states a salary; experience is one of SuperJob's four grades.
    assert all(e.salary_from is not None for e in events.values())
    assert {e.experience_years for e in events.values()} <= {None, 0.0, 1.0, 3.0, 6.0}
    assert sum(e.experience_years == 1.0 for e in events.values()) == 214
    assert sum(e.city is not None for e in events.values()) >= 500


@needs_superjob
def test_superjob_resume_fields() -> None:
    events = {e.id: e for e in _upserts(SJ_RESUMES)}
    first = events["sj-resume-0"]
    assert first.city == "Краснодар"
    assert (first.salary_from, first.salary_to, first.currency) == (36000, 36000, "RUB")
    assert first.experience_years == 9.17  # "9 лет и 2 месяца"
    assert first.skills == ["Microsoft Office", "SQL", "Deductor"]
    assert "Главный специалист отдела скорингового моделирования" in first.text
    assert "ПАО Банк Первомайский" in first.text
    assert sum(bool(e.skills) for e in events.values()) > 150
    assert all(len(s) <= superjob.MAX_SKILL_ITEM for e in events.values() for s in e.skills)


@needs_superjob
def test_superjob_resumes_carry_no_protected_attributes() -> None:
    rows = list(csv_rows(SJ_RESUMES))
    for line, row in rows[:60]:
        original = superjob.convert("resume", row, line, SJ_RESUMES)
        altered = dict(row, age="77", gender="f" if row["gender"] == "m" else "m", citizenship="Марс", auto="['X']")
        # The event, its id included, must not change when only personal attributes do.
        assert superjob.convert("resume", altered, line, SJ_RESUMES) == original
    for event in _upserts(SJ_RESUMES):
        dumped = event.model_dump()
        assert dumped["age"] is None and dumped["gender"] is None  # the schema could carry them; never filled
        assert not {"citizenship", "auto"} & dumped.keys()
        assert "легковые авто" not in event.text  # the driving-licence column


@needs_superjob
def test_superjob_event_ids_are_deterministic_and_content_based() -> None:
    assert [e.event_id for e in _upserts(SJ_VACANCIES)] == [e.event_id for e in _upserts(SJ_VACANCIES)]
    line, row = next(csv_rows(SJ_VACANCIES))
    before = superjob.convert("vacancy", row, line, SJ_VACANCIES)
    after = superjob.convert("vacancy", dict(row, salary="99000₽"), line, SJ_VACANCIES)
    assert isinstance(before, VacancyUpserted) and isinstance(after, VacancyUpserted)
    assert before.id == after.id
    assert before.event_id != after.event_id


@pytest.mark.parametrize(
    ("address", "city"),
    [
        ("Крылатское, Москва, Осенний бульвар, 12к1", "Москва"),
        ("Пермь", "Пермь"),
        ("г. Ярославль, Ленина пр-кт, дом № 37/73", "Ярославль"),
        ("Санкт - Петербург", "Санкт-Петербург"),
        ("Московская обл.,  Кашира, ул. Коммуны, д. 2", "Кашира"),
        ("Киров (Кировская область)", "Киров"),
        ("Ростов-на-Дону, ул. 1-й Конной Армии, д. 19", "Ростов-на-Дону"),
        ("ул. Ломоносова, д.6 (ТЦ Модус)", None),
        ("м. Тверская, м. Сокол", None),
        ("", None),
    ],
)
def test_city_from_address(address: str, city: str | None) -> None:
    assert superjob.city_from_address(address) == city


def test_split_skills_keeps_short_items_and_returns_prose() -> None:
    assert superjob.split_skills("Microsoft Office, SQL; Deductor") == (["Microsoft Office", "SQL", "Deductor"], [])
    skills, prose = superjob.split_skills(
        "Администрирование AD, GPO, DNS, Raid 0,1,5. Опыт прокладки и обслуживания локальных сетей в офисах "
        "на сто и более рабочих мест, включая монтаж оборудования и настройку маршрутизаторов."
    )
    assert skills == ["Администрирование AD", "GPO", "DNS", "Raid 0,1,5"]
    assert len(prose) == 1 and prose[0].startswith("Опыт прокладки")


def test_headhunter_vacancies() -> None:
    assert (detect_format(HH_VACANCIES).name, detect_format(HH_VACANCIES).kind) == ("headhunter", "vacancy")
    assert count_records(HH_VACANCIES) == 7
    stats = ReadStats()
    events = {e.id: e for e in _upserts(HH_VACANCIES, stats)}
    # Row 5 has no title, description or skills: it is skipped and counted, not fatal.
    assert (stats.records, stats.events, stats.skipped) == (7, 6, 1)
    assert stats.errors[0].line == 5 and "empty text" in stats.errors[0].reason
    python = events["93353083"]
    assert (python.salary_from, python.salary_to, python.currency) == (150000, 220000, "RUB")
    assert python.skills == ["Python", "Django", "PostgreSQL", "Docker", "FastAPI"]
    assert python.experience_years == 1.0 and python.city == "Москва"
    assert python.occurred_at == datetime(2024, 1, 15, 10, 30, tzinfo=timezone(timedelta(hours=3)))
    assert "разработка backend-сервисов на Python 3.11 (FastAPI, Django)\n" in python.text
    accountant = events["93353084"]
    assert (accountant.salary_from, accountant.salary_to) == (60000, None)
    assert accountant.skills == ["1С: Зарплата и управление персоналом", "Кадровый учёт", "МСФО"]
    assert "dataLayer" not in accountant.text and "color" not in accountant.text
    assert accountant.experience_years == 6.0
    driver = events["hh-vacancy-3"]  # no id cell: the row number names it
    assert (driver.salary_from, driver.salary_to, driver.experience_years) == (None, 90000, 0.0)
    scientist = events["93353086"]
    assert (scientist.salary_from, scientist.salary_to, scientist.currency) == (4000, 6000, "USD")
    assert scientist.language == "en" and scientist.experience_years == 3.0
    assert events["93353088"].skills == ["Забор крови", "Инъекции"]  # the "nan" item is dropped
    assert events["93353089"].salary_from is None
    for event in events.values():
        for value in _values(event):
            assert not NAN_WORD.search(value) and not HTML_TAG.search(value), (event.id, value)


def test_headhunter_resumes_without_personal_columns() -> None:
    stats = ReadStats()
    events = {e.id: e for e in _upserts(HH_RESUMES, stats)}
    assert (stats.records, stats.events, stats.skipped) == (6, 5, 1)
    admin = events["hh-resume-1"]
    assert admin.title == "Системный администратор"
    assert (admin.salary_from, admin.currency, admin.city) == (60000, "RUB", "Москва")
    assert admin.experience_years == 16.83
    assert admin.occurred_at == datetime(2019, 4, 16, 15, 59, tzinfo=timezone(timedelta(hours=3)))
    assert '"Сетевые технологии"' in admin.text and "<br>" not in admin.text
    assert events["hh-resume-2"].city == "Санкт-Петербург"
    assert (events["hh-resume-3"].currency, events["hh-resume-5"].currency) == ("USD", "UAH")
    for event in events.values():
        dumped = event.model_dump_json()
        for personal in ("Мужчина", "Женщина", "родил", "42 года", "автомобиль", "1998", "авиационный институт"):
            assert personal not in dumped, (event.id, personal)
        assert not NAN_WORD.search(dumped)


def test_headhunter_headers_are_matched_loosely(tmp_path: Path) -> None:
    path = tmp_path / "resumes.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # Excel exports carry a BOM
        writer = csv.writer(handle)
        writer.writerow(["ИЩЕТ РАБОТУ НА ДОЛЖНОСТЬ:", "зп", "Город", "Опыт работы", "Пол, возраст"])
        writer.writerow(["Повар", "50 000 руб.", "Тула, готов к переезду", "Опыт работы 3 года", "Мужчина , 30 лет"])
    (event,) = _upserts(path)
    assert isinstance(event, ResumeUpserted)
    assert (event.title, event.salary_from, event.city, event.experience_years) == ("Повар", 50000, "Тула", 3.0)
    assert "30 лет" not in event.model_dump_json()


def test_csv_strict_mode_raises_on_the_empty_row() -> None:
    with pytest.raises(InvalidRecord, match=r"hh_vacancies\.csv:5: .*empty text"):
        list(read_events(HH_VACANCIES, skip_invalid=False))


def test_kind_must_match_a_csv(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="holds vacancy records"):
        list(read_events(HH_VACANCIES, kind="resume"))


def test_unknown_files_are_refused(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="neither SuperJob nor HeadHunter"):
        detect_format(odd)
    with pytest.raises(SourceFormatError, match="unknown file type"):
        detect_format(tmp_path / "events.xml")


def test_jsonl_roundtrip(tmp_path: Path) -> None:
    events = _upserts(HH_VACANCIES) + _upserts(HH_RESUMES)
    path = tmp_path / "events.jsonl"
    assert write_jsonl(path, events) == len(events)
    assert count_records(path) == len(events)
    assert list(read_events(path)) == events
    assert "Москва" in path.read_text(encoding="utf-8")  # Cyrillic is written as is, not \u-escaped


def _mixed_jsonl(tmp_path: Path) -> Path:
    vacancy, resume = _upserts(HH_VACANCIES)[0], _upserts(HH_RESUMES)[0]
    closed = VacancyClosed(event_id="c1", occurred_at=vacancy.occurred_at, id=vacancy.id)
    path = tmp_path / "mixed.jsonl"
    lines = [vacancy.model_dump_json(), "", resume.model_dump_json(), '{"type": "vacancy.upserted"}', "not json"]
    path.write_text("\n".join([*lines, closed.model_dump_json()]) + "\n", encoding="utf-8")
    return path


def test_jsonl_invalid_line_is_fatal_by_default_and_named(tmp_path: Path) -> None:
    path = _mixed_jsonl(tmp_path)
    assert count_records(path) == 5  # the blank line is not a record
    with pytest.raises(InvalidRecord, match=r"mixed\.jsonl:4: schema-invalid vacancy\.upserted"):
        list(read_events(path))


def test_jsonl_skip_invalid_counts_what_it_skips(tmp_path: Path) -> None:
    path = _mixed_jsonl(tmp_path)
    stats = ReadStats()
    events = list(read_events(path, skip_invalid=True, stats=stats))
    assert [e.type for e in events] == ["vacancy.upserted", "resume.upserted", "vacancy.closed"]
    assert (stats.records, stats.events, stats.skipped) == (5, 3, 2)
    assert [e.line for e in stats.errors] == [4, 5]
    assert "malformed JSON" in stats.errors[1].reason


def test_jsonl_kind_filter(tmp_path: Path) -> None:
    path = _mixed_jsonl(tmp_path)
    stats = ReadStats()
    events = list(read_events(path, kind="vacancy", skip_invalid=True, stats=stats))
    assert [e.type for e in events] == ["vacancy.upserted", "vacancy.closed"]
    assert (stats.filtered, stats.records) == (1, 5)
