"""Normalisation of raw job-board cells: HTML, empty markers, salaries, experience, language."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from typing import NamedTuple

# Cells that pandas and spreadsheet exports write for "no value".
_NULL_MARKERS = frozenset({"", "nan", "none", "null", "<na>", "nat", "n/a", "-", "—"})
_BLOCK_TAGS = frozenset(
    {"br", "p", "li", "ul", "ol", "div", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table"}
)
_SKIP_TAGS = frozenset({"script", "style", "head", "template", "noscript"})
_LINE_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def collapse_whitespace(text: str) -> str:
    """Runs of spaces become one space, runs of line breaks one line break; ends are stripped."""
    return _BLANK_LINES.sub("\n", _LINE_SPACE.sub(" ", text)).strip()


def strip_html(text: str) -> str:
    """Plain text of an HTML fragment: tags, scripts and styles removed, entities decoded.

    Block elements (``<br>``, ``<p>``, ``<li>``, ...) become line breaks so list items stay apart.
    """
    if "<" not in text and "&" not in text:
        return collapse_whitespace(text)
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return collapse_whitespace("".join(parser.parts))


def is_null(value: object) -> bool:
    """Whether a cell holds no value: ``None``, NaN, or a textual null marker such as ``"nan"``."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() in _NULL_MARKERS


def clean_cell(value: object) -> str:
    """Plain, stripped text of a cell; ``""`` for every kind of empty value, never ``"nan"``."""
    if is_null(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = strip_html(str(value))
    return "" if is_null(text) else text


# Longest spellings first: "бел. руб" must win over "руб".
_CURRENCIES: tuple[tuple[str, str], ...] = (
    (r"бел\.?\s*руб|byn|byr", "BYN"),
    (r"₽|руб|rub|rur|р\.(?!\w)|р(?![\w.])", "RUB"),
    (r"\$|usd|долл", "USD"),
    (r"€|eur|евро", "EUR"),
    (r"£|gbp|фунт", "GBP"),
    (r"₴|грн|uah", "UAH"),
    (r"₸|kzt|тенге|тнг", "KZT"),
    (r"uzs|сум(?!м)", "UZS"),
    (r"kgs|сом(?!\w)", "KGS"),
    (r"azn|манат", "AZN"),
    (r"gel|лари", "GEL"),
)
_CURRENCY_RES = tuple((re.compile(p, re.IGNORECASE), code) for p, code in _CURRENCIES)
_AMOUNT = re.compile(
    r"(?P<num>\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+(?!\d)|\d+(?:[.,]\d+)?)"
    r"(?:\s*(?P<mult>тыс\w*\.?|k|к|млн\w*\.?|m(?![a-z]))(?![a-zа-яё]))?",
    re.IGNORECASE,
)
_MAX_SALARY = 100_000_000


def _amount(num: str, mult: str | None) -> float:
    if re.fullmatch(r"\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+", num):
        value = float(re.sub(r"\D", "", num))
    else:
        value = float(num.replace(",", "."))
    if mult:
        value *= 1_000_000 if mult.lower().startswith(("млн", "m")) else 1000
    return value


class Salary(NamedTuple):
    low: int | None
    high: int | None
    currency: str = "RUB"


NO_SALARY = Salary(None, None)


def parse_salary(text: str) -> Salary:
    """``(from, to, ISO currency)`` of a salary text; RUB when no currency is named.

    ``"25000—40000₽"`` → both bounds; ``"от 30000₽"`` → from only; ``"до 50 000 руб."`` → to only;
    one amount (``"35 000₽"``) → both bounds equal; ``"По договорённости"`` → no bounds.
    """
    text = clean_cell(text).lower().replace("ё", "е")
    currency = next((code for pattern, code in _CURRENCY_RES if pattern.search(text)), "RUB")
    matches = list(_AMOUNT.finditer(text))
    amounts = [_amount(m["num"], m["mult"]) for m in matches]
    if any(m["mult"] for m in matches):
        # "от 100 до 150 тыс." — the unit written once applies to the bare small number too.
        unit = next(_amount("1", m["mult"]) for m in matches if m["mult"])
        amounts = [a * unit if a < 1000 and not m["mult"] else a for a, m in zip(amounts, matches, strict=True)]
    values = [round(a) for a in amounts if 0 < a <= _MAX_SALARY]
    if not values:
        return Salary(None, None, currency)
    if len(values) >= 2:
        low, high = sorted(values[:2])
        return Salary(low, high, currency)
    value = values[0]
    head = text[: matches[0].start()]
    if re.search(r"(?:^|\s)(?:до|up to|to)\s*$", head):
        return Salary(None, value, currency)
    if re.search(r"(?:^|\s)(?:от|from|more than|свыше|более)\s*$", head) or text.rstrip().endswith("+"):
        return Salary(value, None, currency)
    return Salary(value, value, currency)


_NO_EXPERIENCE = re.compile(
    r"без опыта|нет опыта|опыт\w* (?:работы )?не (?:требуется|нужен|обязателен)|no experience|"
    r"experience (?:is )?not required|not required|entry level"
)
_DURATION = re.compile(
    r"(?:(?P<lo>\d+(?:[.,]\d+)?)\s*(?:[-–—]|до|to)\s*)?"
    r"(?P<y>\d+(?:[.,]\d+)?)\s*\+?\s*(?:год\w*|лет|years?|yrs?|г\.)(?![a-zа-яё])"
    r"(?:\s*(?:и|and|,)?\s*(?P<ym>\d+)\s*(?:месяц\w*|мес\b\.?|months?))?"
    r"|(?P<m>\d+)\s*(?:месяц\w*|мес\b\.?|months?)"
)
_MAX_YEARS = 70


def parse_years(text: str) -> float | None:
    """Years of experience in a text, ``0.0`` for "no experience", ``None`` when none is stated.

    The first duration counts (``"9 лет и 2 месяца"`` → 9.17); a range gives its lower bound
    (``"от 1 года до 3 лет"`` → 1.0, ``"3+ years"`` → 3.0).
    """
    text = clean_cell(text).lower().replace("ё", "е")
    if not text:
        return None
    if _NO_EXPERIENCE.search(text):
        return 0.0
    for match in _DURATION.finditer(text):
        if match["m"] is not None:
            years = int(match["m"]) / 12
        else:
            years = float((match["lo"] or match["y"]).replace(",", "."))
            if match["ym"] is not None and match["lo"] is None:
                years += int(match["ym"]) / 12
        # "с 2013 года" names a year, not a duration.
        if years <= _MAX_YEARS:
            return round(years, 2)
    return None


_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# Russian postings are full of English tool names, so Cyrillic wins well below half of the letters.
_RUSSIAN_SHARE = 0.2


def detect_language(text: str, min_letters: int = 5) -> str | None:
    """``"ru"`` when Cyrillic carries the text, ``"en"`` when Latin does, ``None`` below ``min_letters``."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic + latin < min_letters:
        return None
    return "ru" if cyrillic >= _RUSSIAN_SHARE * (cyrillic + latin) else "en"
