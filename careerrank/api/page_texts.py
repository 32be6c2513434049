"""Every string the recruiters' web page shows, in Russian (the default) and English, and how a request picks
its language: ``?lang=`` (remembered in the ``lang`` cookie), else the cookie, else Russian."""

from __future__ import annotations

from typing import Final, Literal, get_args

from fastapi import Request

Lang = Literal["ru", "en"]
LANGS: Final[tuple[Lang, ...]] = get_args(Lang)
DEFAULT_LANG: Final[Lang] = "ru"
LANG_COOKIE: Final = "lang"

# key: (Russian, English). One table, so that no string exists in one language only.
_PAIRS: Final[dict[str, tuple[str, str]]] = {
    "product": ("CareerRank", "CareerRank"),
    "tagline": ("Подбор кандидатов", "Candidate matching"),
    "switch_to": ("English", "Русский"),
    "nav_vacancies": ("Вакансии", "Vacancies"),
    "nav_new_vacancy": ("Новая вакансия", "New vacancy"),
    "nav_new_resume": ("Новое резюме", "New resume"),
    "role_recruiter": ("Рекрутер", "Recruiter"),
    "role_job_board": ("Площадка", "Job board"),
    "sign_in": ("Вход", "Sign in"),
    "sign_in_button": ("Войти", "Sign in"),
    "sign_out": ("Выйти", "Sign out"),
    "key_label": ("Ключ доступа", "Access key"),
    "key_hint": ("Ключ рекрутера или площадки (crk_…)", "A recruiter's or a job board's key (crk_…)"),
    "bad_key": ("Ключ не найден или отозван", "Unknown or revoked key"),
    "admin_refused": (
        "Ключ администратора не открывает эти страницы",
        "An admin key does not open these pages",
    ),
    "vacancies_title": ("Вакансии", "Vacancies"),
    "total": ("Всего", "Total"),
    "no_vacancies": ("Вакансий пока нет", "No vacancies yet"),
    "col_title": ("Название", "Title"),
    "col_city": ("Город", "City"),
    "col_salary": ("Зарплата", "Salary"),
    "col_experience": ("Опыт", "Experience"),
    "col_status": ("Статус", "Status"),
    "col_employer": ("Работодатель", "Employer"),
    "col_skills": ("Навыки", "Skills"),
    "col_resume": ("Резюме", "Resume"),
    "col_vacancy": ("Вакансия", "Vacancy"),
    "col_score": ("Оценка", "Score"),
    "col_suitable": ("Подходит", "Suitable"),
    "col_matched": ("Совпавшие навыки", "Matched skills"),
    "col_missing": ("Недостающие навыки", "Missing skills"),
    "col_salary_fit": ("Зарплата", "Salary"),
    "col_experience_fit": ("Опыт", "Experience"),
    "col_explanation": ("Почему", "Why"),
    "col_decision": ("Решение", "Decision"),
    "status_open": ("открыта", "open"),
    "status_closed": ("закрыта", "closed"),
    "prev": ("← Назад", "← Previous"),
    "next": ("Дальше →", "Next →"),
    "page": ("Страница", "Page"),
    "tab_recommended": ("Рекомендованные", "Recommended"),
    "tab_suitable": ("Подходящие отклики", "Suitable applications"),
    "tab_unsuitable": ("Неподходящие отклики", "Unsuitable applications"),
    "recommended_vacancies": ("Рекомендованные вакансии", "Recommended vacancies"),
    "suitable_yes": ("подходит", "suitable"),
    "suitable_no": ("не подходит", "not suitable"),
    "salary_inside": ("в вилке", "within the range"),
    "salary_below": ("ниже вилки", "below the range"),
    "salary_above": ("выше вилки", "above the range"),
    "salary_unknown": ("неизвестно", "unknown"),
    "experience_met": ("достаточно", "enough"),
    "experience_short": ("меньше нужного", "less than asked"),
    "experience_unknown": ("неизвестно", "unknown"),
    "of_required": ("нужно", "asked"),
    "reason_for": ("за кандидата", "for the candidate"),
    "no_suitable": (
        "Подходящих кандидатов нет среди {n} лучших по модели",
        "No suitable candidates among the model's top {n}",
    ),
    "suitable_count": ("Подходят", "Suitable"),
    "reason_against": ("против кандидата", "against the candidate"),
    "not_arrived": ("резюме ещё не поступило", "the resume has not arrived yet"),
    "invite": ("Пригласить", "Invite"),
    "reject": ("Отказать", "Reject"),
    "recorded_invited": ("Приглашение записано", "Invitation recorded"),
    "recorded_rejected": ("Отказ записан", "Rejection recorded"),
    "no_rows": ("Здесь пока пусто", "Nothing here yet"),
    "computing": (
        "Подбор ещё считается — список появится здесь сам",
        "Matches are being computed — the list appears here by itself",
    ),
    "processing": (
        "Публикация обрабатывается — страница обновится сама",
        "The posting is being processed — this page updates by itself",
    ),
    "model": ("Модель", "Model"),
    "ranked_at": ("Рассчитано", "Ranked at"),
    "description": ("Описание", "Description"),
    "not_found_title": ("Не найдено", "Not found"),
    "not_found_text": (
        "Такой страницы нет, или она вам недоступна.",
        "There is no such page, or it is not yours to see.",
    ),
    "forbidden_title": ("Запрос отклонён", "Request refused"),
    "forbidden_text": (
        "Форма устарела или пришла не со страницы сервиса. Обновите страницу и повторите.",
        "The form is stale or did not come from this site's page. Reload the page and try again.",
    ),
    "unavailable_title": ("Сервис временно недоступен", "Temporarily unavailable"),
    "unavailable_text": (
        "Хранилище или очередь событий сейчас не отвечает. Ничего не потеряно — повторите через минуту.",
        "The database or the event queue is not answering. Nothing was lost — try again in a minute.",
    ),
    "bad_request_title": ("Неверный запрос", "Bad request"),
    "bad_request_text": ("Проверьте данные и повторите.", "Check what was sent and try again."),
    "new_vacancy_title": ("Новая вакансия", "New vacancy"),
    "new_resume_title": ("Новое резюме", "New resume"),
    "field_title": ("Название", "Title"),
    "field_text": ("Описание", "Description"),
    "field_skills": ("Навыки (через запятую)", "Skills (comma-separated)"),
    "field_salary_from": ("Зарплата от", "Salary from"),
    "field_salary_to": ("Зарплата до", "Salary to"),
    "field_currency": ("Валюта", "Currency"),
    "field_city": ("Город", "City"),
    "field_experience_years": ("Опыт, лет", "Experience, years"),
    "field_employer_id": ("Работодатель (id)", "Employer (id)"),
    "publish": ("Опубликовать", "Publish"),
    "form_errors": ("Проверьте поля:", "Check these fields:"),
    "back_to_vacancies": ("← К вакансиям", "← Back to vacancies"),
}

TEXTS: Final[dict[Lang, dict[str, str]]] = {
    lang: {key: pair[i] for key, pair in _PAIRS.items()} for i, lang in enumerate(LANGS)
}


def year_word(value: float, lang: Lang) -> str:
    """The word for years agreeing with the number before it: 1 год, 3 года, 5 лет, 0.5 года; 1 year, 3 years."""
    if lang == "en":
        return "year" if value == 1 else "years"
    if not float(value).is_integer():
        return "года"
    n = int(value)
    if n % 10 == 1 and n % 100 != 11:
        return "год"
    return "года" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "лет"


def language(request: Request) -> tuple[Lang, bool]:
    """``(the request's language, whether it was asked for in the query and so is to be remembered)``."""
    asked = request.query_params.get("lang")
    cookie = request.cookies.get(LANG_COOKIE)
    for lang in LANGS:
        if asked == lang:
            return lang, True
    for lang in LANGS:
        if cookie == lang:
            return lang, False
    return DEFAULT_LANG, False
