"""SuperJob rows give the structured fields of schema version 2; what cannot be read is left out, never guessed."""

from __future__ import annotations

from careerrank.ingest import read_events
from careerrank.ingest.superjob_profiles import conditions, language, month, resume_profile, work_period
from schemas import ResumeUpserted, VacancyUpserted
from tests.paths import SUPERJOB_DIR


def test_periods_levels_and_languages_are_read_as_the_export_words_them() -> None:
    assert month("апрель 2014") == "2014-04" and month(" декабрь 1999 ") == "1999-12"
    assert month("весна 2014") is None and month("2014") is None
    job = {"name": "Аналитик", "company": "Банк", "period": "май 2008 – ноябрь 2018", "duties": "Отчёты"}
    assert work_period(job) == {
        "position": "Аналитик",
        "start": "2008-05",
        "end": "2018-11",
        "employer": "Банк",
        "duties": "Отчёты",
    }
    assert work_period({**job, "period": "апрель 2014 – работает сейчас"})["end"] is None  # type: ignore[index]
    assert work_period({**job, "period": "ноябрь 2018 – май 2008"}) is None  # backwards: left out
    assert work_period({**job, "name": ""}) is None
    assert language("Английский язык, Cвободное владение") == {"code": "en", "level": "fluent"}  # Latin "C"
    assert language("Немецкий язык, Технический") == {"code": "de", "level": "technical"}
    assert language("Эльфийский язык, Базовый") is None
    assert conditions("удалённая\xa0работа") == {"schedule": ["remote"], "remote": True}
    assert conditions("полная занятость") == {"employment": ["full"]}


def test_a_row_with_unreadable_parts_keeps_the_readable_ones() -> None:
    row = {
        "experience": "[{'name': 'Dev', 'period': 'когда-то – работает сейчас'}, "
        "{'name': 'QA', 'period': 'июнь 2016 – работает сейчас'}]",
        "education": "[{'kind': 'Магистр', 'period': '2015', 'specialty': 'Физика'}, {'kind': 'Курсы'}]",
        "languages": "['Английский язык, Базовый', 'Английский язык, Технический', 'not a language']",
        "metro_or_moving": "готов к переезду: Москва",
        "employment": "not a list",
    }
    assert resume_profile(row) == {
        "work_history": [{"position": "QA", "start": "2016-06", "end": None}],
        "education": [{"level": "master", "year": 2015, "field": "Физика"}],
        "languages": [{"code": "en", "level": "basic"}],
        "relocation": True,
    }


def test_the_bundled_sample_loses_no_posting_to_its_profile() -> None:
    resumes = [e for e in read_events(SUPERJOB_DIR / "resumes.csv") if isinstance(e, ResumeUpserted)]
    vacancies = [e for e in read_events(SUPERJOB_DIR / "vacancies.csv") if isinstance(e, VacancyUpserted)]
    assert (len(resumes), len(vacancies)) == (266, 530)
    assert sum(bool(e.work_history) for e in resumes) >= 230
    assert sum(bool(e.education) for e in resumes) >= 250
    assert sum(bool(e.languages) for e in resumes) >= 190
    assert all(p.end is None or p.start <= p.end for e in resumes for p in e.work_history)
    assert sum(bool(e.employment) for e in vacancies) >= 350
    assert all(e.schema_version == 2 for e in [*resumes, *vacancies])
