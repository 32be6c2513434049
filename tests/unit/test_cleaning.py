from __future__ import annotations

import math

import pytest

from careerrank.ingest.cleaning import clean_cell, detect_language, parse_salary, parse_years, strip_html


def test_strip_html_removes_tags_scripts_and_styles() -> None:
    html = (
        "<div><p>Ищем <b>разработчика</b></p><script>var x = '<p>evil</p>';</script>"
        "<style>p { color: red }</style><ul><li>Python</li><li>SQL</li></ul></div>"
    )
    assert strip_html(html) == "Ищем разработчика\nPython\nSQL"


def test_strip_html_unescapes_entities_and_collapses_whitespace() -> None:
    assert strip_html("Компания&nbsp;&laquo;Альфа&raquo; &amp;   партнёры") == "Компания «Альфа» & партнёры"
    assert strip_html("a<br>b<br/>c<BR />d") == "a\nb\nc\nd"
    assert strip_html("  one \t two \n\n\n three  ") == "one two\nthree"


def test_strip_html_keeps_text_that_only_looks_like_markup() -> None:
    assert strip_html("зарплата < 100 000 и опыт > 3 лет") == "зарплата < 100 000 и опыт > 3 лет"


@pytest.mark.parametrize("value", [None, math.nan, float("nan"), "nan", "NaN", "None", "null", "", "   ", "<NA>"])
def test_clean_cell_empty_values_become_empty_string(value: object) -> None:
    assert clean_cell(value) == ""


def test_clean_cell_keeps_real_values() -> None:
    assert clean_cell("  <p>Москва</p> ") == "Москва"
    assert clean_cell(60000.0) == "60000"
    assert clean_cell(42) == "42"
    assert clean_cell("Нанотехнологии") == "Нанотехнологии"


def test_clean_cell_never_returns_nan_even_from_markup() -> None:
    assert clean_cell("<p>nan</p>") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25000—40000₽", (25000, 40000, "RUB")),
        ("от 30000₽", (30000, None, "RUB")),
        ("до 50 000 руб.", (None, 50000, "RUB")),
        ("35 000₽", (35000, 35000, "RUB")),
        ("По договорённости", (None, None, "RUB")),
        ("100000-150000 RUB", (100000, 150000, "RUB")),
        ("$3000", (3000, 3000, "USD")),
        ("от 2 000 USD", (2000, None, "USD")),
        ("з/п не указана", (None, None, "RUB")),
        ("60000 руб.", (60000, 60000, "RUB")),
        ("от 100 до 150 тыс. руб.", (100000, 150000, "RUB")),
        ("1 500 €", (1500, 1500, "EUR")),
        ("4000 грн.", (4000, 4000, "UAH")),
        ("1300 бел. руб.", (1300, 1300, "BYN")),
        ("250 000 KZT", (250000, 250000, "KZT")),
        ("40000 – 30000 ₽", (30000, 40000, "RUB")),
        ("", (None, None, "RUB")),
        ("nan", (None, None, "RUB")),
    ],
)
def test_parse_salary(text: str, expected: tuple[int | None, int | None, str]) -> None:
    assert parse_salary(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9 лет и 2 месяца", 9.17),
        ("1 год", 1.0),
        ("11 месяцев", 0.92),
        ("опыт работы от 1 года", 1.0),
        ("опыт работы от 3 лет", 3.0),
        ("опыт работы не требуется", 0.0),
        ("от 3 лет", 3.0),
        ("без опыта", 0.0),
        ("Нет опыта", 0.0),
        ("Более 6 лет", 6.0),
        ("От 1 года до 3 лет", 1.0),
        ("3+ years", 3.0),
        ("1-3 years", 1.0),
        ("22 года и 11 месяцев", 22.92),
        ("Опыт работы 6 лет 1 месяц  Август 2013 — по настоящее время 5 лет 9 месяцев", 6.08),
        ("с 2013 года", None),
        ("полная занятость", None),
        ("", None),
        ("nan", None),
    ],
)
def test_parse_years(text: str, expected: float | None) -> None:
    assert parse_years(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Разработка backend-сервисов, опыт работы с Docker и Kubernetes", "ru"),
        ("Java, Spring Boot, Hibernate, PostgreSQL — опыт от трёх лет", "ru"),
        ("We are looking for a Senior Python developer", "en"),
        ("Python", "en"),
        ("QA", None),
        ("12345 !!!", None),
        ("", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected
