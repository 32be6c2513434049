"""HeadHunter rows give the structured fields of schema version 2; what cannot be read is left out, never guessed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from careerrank.ingest import read_events
from careerrank.ingest.headhunter_profiles import (
    Cells,
    conditions,
    education_level,
    employer_id,
    language,
    languages,
    last_job,
    relocation,
)
from schemas import ResumeUpserted, VacancyUpserted, parse_event
from tests.paths import FIXTURES_DIR

ADMIN = (
    'Опыт работы 16 лет 10 месяцев  Август 2010 — по настоящее время 9 лет 1 месяц ООО "Сетевые технологии" '
    "Москва, www.example.ru Системный администратор Администрирование Windows Server 2016.\n"
    "Поддержка 150 пользователей. Март 2005 — Июль 2010 5 лет 5 месяцев ЗАО Ромашка Инженер Ремонт ПК."
)


def test_the_last_job_is_dated_by_the_first_period_of_the_experience_cell() -> None:
    assert last_job(ADMIN, "Системный администратор", 'ООО "Сетевые технологии"') == {
        "position": "Системный администратор",
        "employer": 'ООО "Сетевые технологии"',
        "start": "2010-08",
        "end": None,
        "duties": "Администрирование Windows Server 2016.\nПоддержка 150 пользователей.",
    }
    ended = "Опыт работы 2 года  Январь 2016 – Декабрь 2017 2 года ООО Альфа Кассир Работа с кассой"
    assert last_job(ended, "Кассир", "") == {
        "position": "Кассир",
        "start": "2016-01",
        "end": "2017-12",
        "duties": "Работа с кассой",
    }
    # The employer named without the position: dated, but no text is taken for duties.
    assert last_job(ended, "Старший кассир", "ООО «Альфа»") == {
        "position": "Старший кассир",
        "employer": "ООО «Альфа»",
        "start": "2016-01",
        "end": "2017-12",
    }


@pytest.mark.parametrize(
    ("experience", "position", "employer"),
    [
        ("Весна 2010 — по настоящее время ООО Альфа Кассир", "Кассир", "ООО Альфа"),  # unknown month word
        ("Январь 2016 — когда-то ООО Альфа Кассир", "Кассир", "ООО Альфа"),  # unknown end
        ("Декабрь 2017 — Январь 2016 ООО Альфа Кассир", "Кассир", "ООО Альфа"),  # ends before it starts
        ("Январь 2016 — Декабрь 2017 ЗАО Бета Повар", "Кассир", "ООО Альфа"),  # another job's period
        ("Январь 2016 — Декабрь 2017 ООО Альфа Кассир", "", "ООО Альфа"),  # no position
        ("Опыт работы 3 года", "Кассир", "ООО Альфа"),  # no period
    ],
)
def test_a_job_whose_period_or_position_cannot_be_read_is_left_out(
    experience: str, position: str, employer: str
) -> None:
    assert last_job(experience, position, employer) is None


def test_education_levels_as_hh_words_them() -> None:
    assert education_level("Высшее образование 1998 Московский авиационный институт") == "higher"
    assert education_level("Неоконченное высшее образование 2021 МГУ") == "incomplete_higher"
    assert education_level("Неоконченное высшее") == "incomplete_higher"
    assert education_level("Среднее специальное образование 1987 Казанское медучилище") == "vocational"
    assert education_level("Среднее образование") == "secondary"
    assert education_level("Высшее образование (Бакалавр) 2016 НИУ ВШЭ") == "bachelor"
    assert education_level("Высшее образование (Магистр) 2018 МФТИ") == "master"
    assert education_level("Высшее образование (Кандидат наук) 2010 СПбГУ") == "phd"
    assert education_level("Доктор наук 2001") == "phd"
    assert education_level("Бакалавр 2015 УрФУ") == "bachelor"
    for unknown in ("Курсы 2019 Нетология", "Высшее", "Средний класс", "", "1998 МАИ"):
        assert education_level(unknown) is None, unknown


def test_languages_and_levels() -> None:
    assert language("Английский — B2 — Средне-продвинутый") == {"code": "en", "level": "conversational"}
    assert language("Английский — В2 — Средне-продвинутый") == {"code": "en", "level": "conversational"}  # Cyrillic
    assert language("Немецкий — A1 — Начальный") == {"code": "de", "level": "basic"}
    assert language("Французский — b1") == {"code": "fr", "level": "conversational"}
    assert language("Испанский — C2 — В совершенстве") == {"code": "es", "level": "fluent"}
    assert language("Английский (свободно владею)") == {"code": "en", "level": "fluent"}
    assert language("Английский язык — читаю профессиональную литературу") == {"code": "en", "level": "technical"}
    assert language("Английский — могу проходить интервью") == {"code": "en", "level": "conversational"}
    assert language("Русский — Родной") == {"code": "ru", "level": "native"}
    assert language("Китайский — базовые знания") == {"code": "zh", "level": "basic"}
    # An unknown level, no level, an unknown language: left out, not given a default.
    for unknown in ("Польский — немного", "Английский", "Эльфийский — C2", "B2", ""):
        assert language(unknown) is None, unknown
    cell = "Русский — Родной, Английский — C1 — Продвинутый; Английский — A2\nЭльфийский — Родной"
    assert languages(cell) == [{"code": "ru", "level": "native"}, {"code": "en", "level": "fluent"}]


def test_relocation_reads_only_the_words_about_moving() -> None:
    assert relocation("Москва , не готов к переезду , готов к командировкам") is False
    assert relocation("Санкт-Петербург (м. Парнас) , готова к переезду , не готова к командировкам") is True
    assert relocation("Минск , хочу переехать (Москва) , готов к командировкам") is True
    assert relocation("Казань , не готова к командировкам") is None
    assert relocation("Москва") is None
    assert (relocation("Готов"), relocation("не готова"), relocation("нет"), relocation("может быть")) == (
        True,
        False,
        False,
        None,
    )


def test_employment_schedule_and_remote() -> None:
    assert conditions("полная занятость, частичная занятость", "полный день, удалённая работа") == {
        "employment": ["full", "part"],
        "schedule": ["full_day", "remote"],
        "remote": True,
    }
    assert conditions("проектная работа/разовое задание, стажировка, волонтерство", "вахтовый метод") == {
        "employment": ["internship", "project", "volunteer"],
        "schedule": ["rotation"],
    }
    assert conditions("Полная занятость", "Сменный график, гибкий график") == {
        "employment": ["full"],
        "schedule": ["flexible", "shift"],
    }
    # The API's ids, alone or inside its object as pandas wrote it.
    assert conditions("probation", "{'id': 'flyInFlyOut', 'name': 'Вахтовый метод'}") == {
        "employment": ["internship"],
        "schedule": ["rotation"],
    }
    assert conditions("full", "fullDay") == {"employment": ["full"], "schedule": ["full_day"]}
    assert conditions("по договорённости", "как удобно") == {}
    assert conditions("remote", "full") == {}  # an id of the other column is not read


def test_employer_ids_are_stable() -> None:
    def cells(employer: str, key: str = "") -> Cells:
        return {"employer": employer, "employer_id": key}.__getitem__

    assert employer_id(cells("Яндекс", "1740")) == "hh-employer-1740"
    assert employer_id(cells("", "1740.0")) == "hh-employer-1740"  # pandas' float column
    assert employer_id(cells("{'id': '3529', 'name': 'Сбер'}")) == "hh-employer-3529"
    assert employer_id(cells("{'name': 'Сбер'}")) is None
    by_name = employer_id(cells("ООО «Облачные решения»"))
    assert by_name is not None and by_name.startswith("hh-employer-name-") and len(by_name) == 33
    assert employer_id(cells('ООО  "Облачные Решения"')) == by_name
    assert employer_id(cells("ООО Облачные технологии")) != by_name
    assert employer_id(cells("")) is None


def test_the_fixture_rows_give_profiles_of_version_2() -> None:
    resumes = {e.id: e for e in read_events(FIXTURES_DIR / "hh_resumes.csv") if isinstance(e, ResumeUpserted)}
    vacancies = {e.id: e for e in read_events(FIXTURES_DIR / "hh_vacancies.csv") if isinstance(e, VacancyUpserted)}
    assert (len(resumes), len(vacancies)) == (5, 6)
    assert resumes["hh-resume-1"].profile() == {
        "work_history": [
            {
                "position": "Системный администратор",
                "employer": 'ООО "Сетевые технологии"',
                "start": "2010-08",
                "duties": "Администрирование Windows Server 2016, Active Directory, настройка Cisco и MikroTik.\n"
                "Поддержка 150 пользователей.",
            }
        ],
        "education": [{"level": "higher"}],
        "languages": [{"code": "ru", "level": "native"}, {"code": "en", "level": "basic"}],
        "relocation": False,
        "employment": ["full"],
        "schedule": ["full_day"],
    }
    accountant = resumes["hh-resume-2"]
    assert accountant.languages[1].model_dump() == {"code": "en", "level": "technical"}
    assert (accountant.relocation, accountant.remote, accountant.schedule) == (True, True, ["full_day", "remote"])
    java = resumes["hh-resume-3"]
    # Its experience cell names neither "Senior Java Developer" nor "EPAM Systems": no period is dated.
    assert java.work_history == []
    assert [(s.code, s.level) for s in java.languages] == [("en", "conversational"), ("be", "native")]
    nurse = resumes["hh-resume-4"]
    assert (nurse.education[0].level, nurse.education[0].year, nurse.relocation) == ("vocational", None, False)
    driver = resumes["hh-resume-5"]
    assert [(p.position, p.employer, p.start, p.end) for p in driver.work_history] == [
        ("Водитель", "ЧП Иваненко", "2017-03", None)
    ]
    assert [(s.code, s.level) for s in driver.languages] == [("uk", "native"), ("ru", "fluent")]  # "немного": out
    assert all(e.age is None and e.gender is None for e in resumes.values())

    python = vacancies["93353083"]
    assert python.profile() == {
        "employer_id": python.employer_id,
        "employment": ["full"],
        "schedule": ["remote"],
        "remote": True,
    }
    assert python.employer_id is not None and python.employer_id.startswith("hh-employer-name-")
    assert vacancies["93353084"].profile()["employment"] == ["part"]
    assert vacancies["93353089"].profile() == {"employment": ["internship"]}
    assert len({e.employer_id for e in vacancies.values()}) == 6  # five employers and one without

    for event in [*resumes.values(), *vacancies.values()]:
        assert event.schema_version == 2
        assert parse_event(event.model_dump_json().encode()) == event


def test_the_public_dataset_headers_are_read(tmp_path: Path) -> None:
    path = tmp_path / "resumes.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Ищет работу на должность:",
                "Город",
                "Готовность к переезду",
                "Занятость",
                "График",
                "Опыт работы",
                "Последнее/нынешнее место работы",
                "Последняя/нынешняя должность",
                "Образование и ВУЗ",
                "Обновление резюме",
                "Языки",
            ]
        )
        writer.writerow(
            [
                "Аналитик",
                "Тула",
                "готов",
                "полная занятость",
                "гибкий график",
                "Опыт работы 4 года  Май 2015 — Июнь 2019 4 года 2 месяца Банк Восток Аналитик Отчёты по рискам",
                "Банк Восток",
                "Аналитик",
                "Высшее образование (Магистр) 2014 ТулГУ",
                "01.07.2019 09:00",
                "Английский — C1 — Продвинутый",
            ]
        )
    (event,) = read_events(path)
    assert isinstance(event, ResumeUpserted)
    assert event.profile() == {
        "work_history": [
            {
                "position": "Аналитик",
                "employer": "Банк Восток",
                "start": "2015-05",
                "end": "2019-06",
                "duties": "Отчёты по рискам",
            }
        ],
        "education": [{"level": "master"}],
        "languages": [{"code": "en", "level": "fluent"}],
        "relocation": True,
        "employment": ["full"],
        "schedule": ["flexible"],
    }
    assert parse_event(event.model_dump_json().encode()) == event


def test_a_posting_never_fails_for_its_profile(tmp_path: Path) -> None:
    path = tmp_path / "resumes.csv"
    long = "Очень длинное название " * 40
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ищет работу на должность:", "Опыт работы", "Место работы", "Последняя/нынешняя должность"])
        writer.writerow(["Повар", f"Май 2015 — Июнь 2019 {long} {long} " + "щи " * 10_000, long, long])
        writer.writerow(["Повар", "Май 2015 — Июнь 2019 \x01\x02", "\x01\x02", "\x01\x02"])
    events = list(read_events(path, skip_invalid=False))
    assert [type(e) for e in events] == [ResumeUpserted, ResumeUpserted]
    (job,) = events[0].work_history  # type: ignore[union-attr]
    assert len(job.position) == len(job.employer or "") == 500 and len(job.duties) == 20_000
