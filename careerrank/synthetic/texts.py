"""Titles and free text of synthetic postings, in Russian or English, written the way job boards do."""

from __future__ import annotations

import random
import re
from typing import Protocol

from careerrank.synthetic.professions import Profession


class _City(Protocol):
    @property
    def field(self) -> str | None: ...

    @property
    def en_name(self) -> str: ...


_RU_PREFIX = {
    "junior": ("Младший ", "", "Стажёр-"),
    "middle": ("",),
    "senior": ("Старший ", "Ведущий "),
    "lead": ("Ведущий ", "Главный ", "Руководитель группы: "),
}
# IT teams in Russia use the English grades as they are.
_RU_PREFIX_IT = {
    "junior": ("Junior ", "Младший ", ""),
    "middle": ("", "Middle "),
    "senior": ("Senior ", "Старший ", "Ведущий "),
    "lead": ("Lead ", "Тимлид, ", "Ведущий "),
}
_RU_PREFIX_FEMININE = {
    "junior": ("Младшая ", ""),
    "middle": ("",),
    "senior": ("Старшая ", "Ведущая "),
    "lead": ("Главная ", "Старшая "),
}
_EN_PREFIX = {
    "junior": ("Junior ", "Entry-level ", "Trainee "),
    "middle": ("", "", "Mid-level "),
    "senior": ("Senior ", "Sr. "),
    "lead": ("Lead ", "Principal ", "Head "),
}
_RU_COMPANY = ("Вектор", "Горизонт", "Сибирь", "Прогресс", "Север", "Альфа", "Меридиан", "Волга", "Орбита", "Гранит")
_RU_COMPANY_TAIL = ("Софт", "Логистик", "Групп", "Трейд", "Строй", "Мед", "Сервис", "", "Технологии")
_RU_FORMS = ("ООО", "АО", "ПАО", "ГК")
_EN_COMPANY = ("Northwind", "Bluefin", "Greenfield", "Brightline", "Ironbridge", "Silverleaf", "Redwood", "Atlas")
_EN_COMPANY_TAIL = ("Ltd", "Inc.", "GmbH", "LLC", "Labs", "Solutions", "Group")

_RU_SECTIONS = (
    ("Обязанности:", "Чем предстоит заниматься:", "Задачи:"),
    ("Требования:", "Мы ждём от вас:", "Что нужно:"),
    ("Условия:", "Мы предлагаем:", "Что мы предлагаем:"),
)
_EN_SECTIONS = (
    ("Responsibilities:", "What you will do:", "Your tasks:"),
    ("Requirements:", "What we expect:", "About you:"),
    ("We offer:", "Benefits:", "What we offer:"),
)
_RU_LATIN_SKILL = (
    "Опыт работы с {a} и {b}",
    "Уверенное знание {a}",
    "Знание {a} будет плюсом",
    "Опыт коммерческой разработки с использованием {a}",
    "Практический опыт с {a}, {b}",
)
_RU_PLAIN_SKILL = ("Навыки: {a}, {b}", "Обязательно: {a}", "Будет плюсом: {a}", "Знания и навыки: {a}")
_EN_SKILL = ("Experience with {a} and {b}", "Solid knowledge of {a}", "{a} is a plus", "Hands-on {a} skills")
_RU_CONDITIONS_IT = (
    "Официальное оформление в аккредитованной IT-компании", "ДМС со стоматологией", "Гибридный формат работы",
    "Полностью удалённая работа", "Оплата конференций и курсов", "Техника на выбор: MacBook или ноутбук на Linux",
)  # fmt: skip
_RU_CONDITIONS = (
    "Официальное оформление по ТК РФ", "Белая зарплата два раза в месяц", "Сменный график 2/2",
    "Бесплатное питание", "Спецодежда за счёт компании", "Обучение и наставник на старте",
    "ДМС после испытательного срока",
)  # fmt: skip
_EN_CONDITIONS = (
    "Private health insurance", "Hybrid or fully remote work", "Learning budget and conference tickets",
    "Paid relocation", "Flexible hours", "Stock options", "Paid overtime", "Free meals on shift",
)  # fmt: skip
_RU_ABOUT = (
    "Ответственный, быстро обучаюсь, умею работать в команде.",
    "Ищу работу в стабильной компании с возможностью профессионального роста.",
    "Рассматриваю предложения с гибким графиком.",
    "Есть опыт наставничества и обучения новых сотрудников.",
)
_EN_ABOUT = (
    "Reliable team player who learns fast.",
    "Looking for a role with room to grow.",
    "Open to hybrid and remote positions.",
    "Experienced in mentoring new team members.",
)
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[А-ЯЁа-яё]")


def _ru_years(years: int, genitive: bool = False) -> str:
    if genitive:
        return f"{years} года" if years % 10 == 1 and years % 100 != 11 else f"{years} лет"
    if years % 10 == 1 and years % 100 != 11:
        return f"{years} год"
    if 2 <= years % 10 <= 4 and not 12 <= years % 100 <= 14:
        return f"{years} года"
    return f"{years} лет"


def _en_years(years: int) -> str:
    return f"{years} year" if years == 1 else f"{years} years"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case a leading Russian word, but not an acronym ("ДМС") or a Latin name ("JavaScript")."""
    return text[:1].lower() + text[1:] if _CYRILLIC.match(text) and text[1:2].islower() else text


class Writer:
    """Text in one language, drawn from one item's random stream."""

    def __init__(self, rng: random.Random, english: bool) -> None:
        self.rng = rng
        self.english = english

    def title(self, profession: Profession, level: str, resume: bool = False) -> str:
        rng = self.rng
        # Russian IT postings often carry an English title ("Senior Python Developer").
        english = self.english or (profession.it and rng.random() < (0.15 if resume else 0.25))
        if english:
            return rng.choice(_EN_PREFIX[level]) + rng.choice(profession.en_titles)
        base = rng.choice(profession.ru_titles)
        if base.split()[0].endswith(("ая", "а")):
            prefixes = _RU_PREFIX_FEMININE
        else:
            prefixes = _RU_PREFIX_IT if profession.it else _RU_PREFIX
        prefix = rng.choice(prefixes[level])
        if prefix:
            base = _lower_first(base)
        return prefix + base

    def skills(self, profession: Profession, count: int) -> list[str]:
        pool = profession.en_skills if self.english else profession.ru_skills
        return self.rng.sample(pool, min(count, len(pool)))

    def company(self) -> str:
        rng = self.rng
        if self.english:
            return f"{rng.choice(_EN_COMPANY)} {rng.choice(_EN_COMPANY_TAIL)}"
        name = rng.choice(_RU_COMPANY) + rng.choice(_RU_COMPANY_TAIL)
        return f"{rng.choice(_RU_FORMS)} «{name}»"

    def _section(self, heading: str, lines: list[str]) -> str:
        if self.rng.random() < 0.5:
            return heading + "\n" + "\n".join(f"• {line}" for line in lines)
        return heading + " " + "; ".join(_lower_first(line) for line in lines) + "."

    def vacancy_text(self, profession: Profession, required: int | None, city: _City) -> str:
        rng, en = self.rng, self.english
        sections = _EN_SECTIONS if en else _RU_SECTIONS
        duties = profession.en_duties if en else profession.ru_duties
        parts = []
        if rng.random() < 0.6:
            company = self.company()
            intro = f"{company} is growing its team." if en else f"{company} расширяет команду."
            if city.field is None:
                intro += " The position is fully remote." if en else " Работа удалённая."
            parts.append(intro)
        parts.append(self._section(rng.choice(sections[0]), [_sentence(d) for d in rng.sample(duties, 3)]))
        parts.append(self._section(rng.choice(sections[1]), self._requirements(profession, required)))
        conditions = _EN_CONDITIONS if en else (_RU_CONDITIONS_IT if profession.it else _RU_CONDITIONS)
        parts.append(self._section(rng.choice(sections[2]), rng.sample(conditions, rng.randint(2, 4))))
        return "\n".join(parts)

    def _requirements(self, profession: Profession, required: int | None) -> list[str]:
        rng, en = self.rng, self.english
        lines = []
        if required == 0:
            lines.append("No prior experience required" if en else "Рассмотрим кандидатов без опыта")
        elif required is not None:
            lines.append(
                f"{required}+ years of relevant experience" if en else f"Опыт работы от {_ru_years(required, True)}"
            )
        for _ in range(rng.randint(2, 3)):
            a, b = self.skills(profession, 2)
            if en:
                template = rng.choice(_EN_SKILL)
            elif _LATIN.search(a) and _LATIN.search(b):
                template = rng.choice(_RU_LATIN_SKILL)
            else:
                template = rng.choice(_RU_PLAIN_SKILL)
            lines.append(_sentence(template.format(a=a, b=b)))
        return lines

    def _job(self, profession: Profession, level: str, years: int) -> str:
        rng, en = self.rng, self.english
        duties = profession.en_duties if en else profession.ru_duties
        span = _en_years(years) if en else _ru_years(years)
        body = "; ".join(rng.sample(duties, rng.randint(2, 3)))
        return f"{self.title(profession, level, resume=True)} — {self.company()}, {span}: {_sentence(body)}."

    def resume_text(
        self,
        profession: Profession,
        level: str,
        years: float,
        neighbour: Profession | None,
        unlisted_skills: list[str],
    ) -> str:
        rng, en = self.rng, self.english
        lines = []
        if rng.random() < 0.5:
            lines.append(rng.choice(_EN_ABOUT if en else _RU_ABOUT))
        whole = int(years)
        if whole == 0:
            lines.append("No commercial experience yet." if en else "Коммерческого опыта пока нет, прошёл курсы.")
        levels = ("junior", "middle", "senior", "lead")
        remaining = whole
        while remaining > 0 and len(lines) < 5:
            span = min(remaining, rng.randint(1, 5))
            lines.append(self._job(profession, level, span))
            level = levels[max(0, levels.index(level) - 1)]
            remaining -= span
        if neighbour is not None and rng.random() < 0.5:
            lines.append(self._job(neighbour, "junior", 1))
        if rng.random() < 0.05:
            lines = []
        if unlisted_skills:
            lines.append(("Key skills: " if en else "Ключевые навыки: ") + ", ".join(unlisted_skills))
        return "\n".join(lines)
