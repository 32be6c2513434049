"""The occupation taxonomy: each occupation's code, family, names and the pattern a title part is matched by.

Order matters: :func:`careerrank.scoring.occupations.occupation_of` takes the first occupation whose pattern a
title part contains, so specific occupations come before general ones ("программист 1С" is a 1C developer before
it is a developer; "менеджер по продажам компьютерной техники" a sales manager before an IT specialist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Occupation:
    code: str
    family: str
    en: str
    ru: str
    pattern: re.Pattern[str]


def _o(code: str, family: str, en: str, ru: str, pattern: str) -> Occupation:
    return Occupation(code, family, en, ru, re.compile(pattern))


_DEV = r"(программист|разработ|developer|programmer|тимлид|team ?lead|software engineer|кодер)"
_IT = r"(\bit\b|\bит\b|it-|ит-|информационн[а-я]* технолог|информатизац)"
_MOBILE = r"(\bios\b|android|андроид|mobile|мобильн)"
_HEAD = r"(руковод|начальник|директор|заместитель директора|\bhead\b|director|заведующ)"

TAXONOMY: Final[tuple[Occupation, ...]] = (
    _o("dev_1c", "1c", "1C developer", "программист 1С", rf"1 ?[сc]\b.*{_DEV}|{_DEV}.*1 ?[сc]\b"),
    _o("dev_php", "development", "PHP developer", "PHP-разработчик", r"php|laravel|symfony"),
    _o("dev_dotnet", "development", ".NET developer", ".NET-разработчик", r"c#|\.net\b|c sharp"),
    _o("dev_java", "development", "Java developer", "Java-разработчик", r"java(?!script)|kotlin|scala"),
    _o("dev_python", "development", "Python developer", "Python-разработчик", r"python|django"),
    _o(
        "dev_frontend",
        "development",
        "front-end developer",
        "фронтенд-разработчик",
        r"front-?end|фронтенд|javascript|typescript|react|\bvue|angular|верстальщик|html",
    ),
    _o(
        "dev_mobile",
        "development",
        "mobile developer",
        "мобильный разработчик",
        rf"{_MOBILE}.*{_DEV}|{_DEV}.*{_MOBILE}",
    ),
    _o("dev_cpp", "development", "C/C++ developer", "разработчик C/C++", r"c\+\+|embedded|встраиваем|микроконтрол"),
    _o(
        "dev_data",
        "analysis",
        "data engineer",
        "инженер данных",
        r"data engineer|инженер данных|\bsas\b|\betl\b|\bdwh\b",
    ),
    _o(
        "dev_web",
        "development",
        "web developer",
        "веб-разработчик",
        rf"(web|веб).*{_DEV}|{_DEV}.*(web|веб|сайт)|full-?stack|фулстек|back-?end|бэкенд|бекенд",
    ),
    _o("dev_any", "development", "software developer", "программист", _DEV),
    _o("qa", "testing", "software tester", "тестировщик", r"тестиров|tester|\bqa\b|quality assurance"),
    _o("devops", "it_operations", "DevOps engineer", "DevOps-инженер", r"devops|\bsre\b|site reliability"),
    _o(
        "erp",
        "erp",
        "1C/ERP consultant",
        "консультант 1С/ERP",
        r"1 ?[сc]\b|\berp\b|\bsap\b|внедрени|методолог",
    ),
    _o(
        "it_project",
        "it_management",
        "IT project manager",
        "руководитель IT-проектов",
        rf"(проект|project).*{_IT}|{_IT}.*(проект|project)|product manager|продакт|scrum|project manager",
    ),
    _o(
        "it_head",
        "it_management",
        "head of IT",
        "руководитель IT",
        rf"{_HEAD}.*{_IT}|{_IT}.*{_HEAD}|\bcio\b|\bcto\b|it-менеджер|ит-менеджер|it manager|технический директор",
    ),
    _o(
        "systems_analyst",
        "analysis",
        "systems analyst",
        "системный аналитик",
        r"системн[а-я]* аналитик|бизнес-аналитик|business analyst|system analyst|systems analyst",
    ),
    _o("analyst", "analysis", "analyst", "аналитик", r"аналитик|analyst|data scien"),
    _o(
        "infosec",
        "information_security",
        "information security specialist",
        "специалист по информационной безопасности",
        r"безопасност|защит[а-я]* информац|security|\bиб\b|пентест",
    ),
    _o(
        "network",
        "it_operations",
        "network engineer",
        "сетевой инженер",
        r"сетев|network|электросвяз|инженер[а-я]* связи",
    ),
    _o(
        "sysadmin",
        "it_operations",
        "system administrator",
        "системный администратор",
        r"системн[а-я]* администр|сисадмин|sysadmin|system administrator"
        r"|администратор (linux|windows|zabbix|сервер|баз)",
    ),
    _o(
        "support",
        "it_operations",
        "IT support specialist",
        "специалист техподдержки",
        r"поддержк|техподдерж|help ?desk|service desk|support|первой линии|сопровождени[а-я]* пользоват",
    ),
    _o(
        "repair",
        "it_operations",
        "computer repair technician",
        "мастер по ремонту компьютеров",
        r"ремонт[а-я]* (компьютер|ноутбук|пк|техник)|сервис-инженер|сервисн[а-я]* (инженер|центр|специалист)"
        r"|сборщик пк|оргтехник",
    ),
    _o("designer", "design", "designer", "дизайнер", r"дизайн|design|иллюстрат|\bux\b|\bui\b"),
    _o("accountant", "finance", "accountant", "бухгалтер", r"бухгалт|accountant|главбух|калькулятор"),
    _o(
        "finance",
        "finance",
        "finance specialist",
        "финансист",
        r"финанс|экономист|economist|financ|ревизор|аудит|казначе|кредит",
    ),
    _o("lawyer", "legal", "lawyer", "юрист", r"юрист|юрисконсульт|lawyer|legal|правов"),
    _o(
        "hr",
        "hr",
        "HR specialist",
        "специалист по персоналу",
        r"рекрут|recruit|подбор[а-я]* персонал|персонал|кадр|\bhr",
    ),
    _o(
        "marketing",
        "marketing",
        "marketer",
        "маркетолог",
        r"маркет|marketing|\bseo\b|\bsmm\b|\bpr\b|реклам|контент|копирайт|редактор|журналист",
    ),
    _o("real_estate", "real_estate", "real estate agent", "риелтор", r"недвижим|риэлт|риелт|realtor|real estate"),
    _o("procurement", "procurement", "procurement specialist", "закупщик", r"тендер|закуп|снабж|procurement|purchas"),
    _o(
        "call_center",
        "customer_service",
        "call centre operator",
        "оператор call-центра",
        r"call|колл|контакт[а-я]* центр|телемаркет|оператор по работе с клиент",
    ),
    _o(
        "sales",
        "sales",
        "sales manager",
        "менеджер по продажам",
        r"продаж|sales|торгов[а-я]* представ|клиент|account|\bkam\b|\bкам\b|развити[а-я]* бизнес|\bbdm\b|дилер",
    ),
    _o(
        "retail", "retail", "shop assistant", "продавец", r"продав|кассир|магазин|пункт[а-я]* выдачи|мерчендайз|бариста"
    ),
    _o(
        "warehouse",
        "logistics",
        "warehouse worker",
        "работник склада",
        r"склад|кладовщ|сортировщ|упаковщ|грузчик|комплектовщ|фасовщ",
    ),
    _o("logistics", "logistics", "logistics specialist", "логист", r"логист|logist|транспортн|перевоз|диспетчер"),
    _o("driver", "transport", "driver", "водитель", r"водител|курьер|driver|courier|экспедитор"),
    _o("teacher", "education", "teacher", "преподаватель", r"преподава|учител|педагог|teacher|тренер|воспитател"),
    _o(
        "medical",
        "medicine",
        "medical worker",
        "медицинский работник",
        r"врач|медсестр|медицинск[а-я]* сестр|фельдшер|стоматолог|doctor|nurse",
    ),
    _o(
        "it_specialist",
        "it_operations",
        "IT specialist",
        "IT-специалист",
        rf"{_IT}|информационн|компьютер|автоматизац|\bэвм\b|технический специалист",
    ),
    _o(
        "office",
        "office",
        "office administrator",
        "офис-менеджер",
        r"секретар|офис|ассистент|assistant|помощник руководит|делопроизв|администратор|оператор пк|референт",
    ),
    _o("security_guard", "security", "security guard", "охранник", r"охран|security guard|сторож"),
    _o(
        "engineer",
        "engineering",
        "engineer",
        "инженер",
        r"инженер|engineer|техник|монтажник|электрик|электроник|механик|слаботоч|наладчик|конструктор",
    ),
    _o(
        "worker",
        "production",
        "production worker",
        "рабочий",
        r"рабоч|оператор (станк|линии|конвейер|производ)|оператор конвейер|сборщик|повар|пекарь|раздатчик|швея",
    ),
    _o("project_manager", "management", "project manager", "руководитель проектов", r"проект|project"),
    _o("manager", "management", "manager", "руководитель", rf"{_HEAD}|управляющ|manager|менеджер"),
)
BY_CODE: Final[dict[str, Occupation]] = {o.code: o for o in TAXONOMY}

# Families (or occupations) whose skills largely transfer (JUDGING.md's "adjacent occupation"): fit 1, as one
# family. A 1C developer is a family of its own: a web developer's skills hardly transfer, a programmer's may.
ADJACENT: Final[frozenset[frozenset[str]]] = frozenset(
    frozenset(pair)
    for pair in (
        ("development", "testing"),
        ("it_operations", "information_security"),
        ("it_operations", "it_management"),
        ("1c", "erp"),
        ("dev_1c", "dev_any"),
        ("analysis", "erp"),
        ("analysis", "it_management"),
        ("management", "it_management"),
        ("sales", "customer_service"),
        ("sales", "retail"),
        ("logistics", "procurement"),
    )
)
