"""Explanations in words: the features that moved a pair's score most, from the model's own contributions.

Each stored match and application keeps its few strongest reasons for and against (exact SHAP values of the
trees, in log-odds), worded in English and Russian for the recruiter ("salary inside the range", "missing
skills: Kubernetes, Go"). Computed for what is stored, not for every pair scored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from careerrank.scoring.features import NAMES
from careerrank.scoring.occupation_taxonomy import BY_CODE
from careerrank.scoring.occupations import fit, occupations_of, specific
from careerrank.scoring.postings import Posting, skill_key

MIN_EFFECT = 0.05  # log-odds; smaller pushes are noise, not reasons
FOR, AGAINST = 3, 2

Words = tuple[str, str]  # (English, Russian)
# What the words say of the candidate: a strength (+1), a weakness (-1), or a plain fact (0). A reason is
# shown only on the side its words belong to: a weakness never among the reasons for, whatever the effect.
STRENGTH, WEAKNESS, FACT = 1, -1, 0
Worded = tuple[str, str, int]  # (English, Russian, what the words say)
_Phrase = Callable[[float, Posting, Posting], Worded | None]


def _high_low(high: Words, low: Words, cut: float = 0.3, high_is: int = STRENGTH) -> _Phrase:
    return lambda value, _v, _r: (*high, high_is) if value >= cut else (*low, -high_is)


def _yes_no(yes: Words, no: Words, yes_is: int = STRENGTH) -> _Phrase:
    return lambda value, _v, _r: (*yes, yes_is) if value >= 0.5 else (*no, -yes_is)


def _fact(words: Callable[[float], Words]) -> _Phrase:
    return lambda value, _v, _r: None if math.isnan(value) else (*words(value), FACT)


def _missing_skills(value: float, vacancy: Posting, resume: Posting) -> Worded | None:
    have = {skill_key(s) for s in resume.skills}
    missing = [s for s in vacancy.skills if skill_key(s) not in have][:4]
    if not missing:
        return ("has every listed skill", "есть все указанные навыки", STRENGTH)
    listed = ", ".join(missing)
    return (f"missing skills: {listed}", f"нет навыков: {listed}", WEAKNESS)


def _matched_skills(value: float, vacancy: Posting, resume: Posting) -> Worded | None:
    have = {skill_key(s) for s in resume.skills}
    matched = [s for s in vacancy.skills if skill_key(s) in have][:4]
    if not matched:
        return ("none of the listed skills", "нет ни одного из указанных навыков", WEAKNESS)
    listed = ", ".join(matched)
    return (f"has skills: {listed}", f"есть навыки: {listed}", STRENGTH)


def _experience(value: float, vacancy: Posting, resume: Posting) -> Worded | None:
    if math.isnan(value):
        return None
    if value >= 0:
        return ("has the experience asked for", "опыт соответствует требованию", STRENGTH)
    years = -value
    return (f"{years:.1f} years less experience than asked", f"опыта на {years:.1f} г. меньше требуемого", WEAKNESS)


def _occupation(held: bool = False, any_title: bool = False) -> _Phrase:
    """The vacancy's occupation (its primary one, or any of its title with ``any_title``) against the resume's
    sought (or, with ``held``, held) ones: the closest pair, named in both languages."""

    def phrase(value: float, vacancy: Posting, resume: Posting) -> Worded | None:
        titled = specific(occupations_of(vacancy.title))  # as the features read a vacancy's title
        wanted = titled if any_title else titled[:1]
        offered = occupations_of(resume.past_positions() if held else resume.title)
        if math.isnan(value) or not wanted or not offered:
            return None
        pair = max(((w, o) for w in wanted for o in offered), key=lambda p: fit(*p))
        mine, closest = BY_CODE[pair[0]], BY_CODE[pair[1]]
        if value >= 2:
            if held:
                return (f"has worked as: {mine.en}", f"работал по профессии: {mine.ru}", STRENGTH)
            return (f"seeks this occupation: {mine.en}", f"ищет работу по профессии: {mine.ru}", STRENGTH)
        if value >= 1:
            return (f"adjacent occupation: {closest.en}", f"смежная профессия: {closest.ru}", FACT)
        where_en, where_ru = ("has worked as", "работал по профессии") if held else ("seeks", "ищет работу")
        return (f"{where_en}: {closest.en}, not {mine.en}", f"{where_ru}: {closest.ru}, а не {mine.ru}", WEAKNESS)

    return phrase


PHRASES: dict[str, _Phrase] = {
    "occupation_sought_fit": _occupation(),
    "occupation_held_fit": _occupation(held=True),
    "occupation_any_fit": _occupation(any_title=True),
    "cosine": _high_low(("texts close in meaning", "тексты близки по смыслу"), ("texts far apart", "тексты далеки")),
    "title_vs_title": _high_low(
        ("position sought matches the title", "желаемая должность совпадает с вакансией"),
        ("position sought differs from the title", "желаемая должность не совпадает с вакансией"),
    ),
    "title_vs_past_positions": _high_low(
        ("title close to past positions", "вакансия близка к прошлым должностям"),
        ("title unlike past positions", "вакансия не похожа на прошлые должности"),
    ),
    "title_vs_last_position": _high_low(
        ("title close to the last position", "вакансия близка к последней должности"),
        ("title unlike the last position", "вакансия не похожа на последнюю должность"),
    ),
    "requirements_vs_skills": _high_low(
        ("skills fit the requirements", "навыки подходят под требования"),
        ("skills far from the requirements", "навыки далеки от требований"),
    ),
    "duties_vs_past_duties": _high_low(
        ("has done these duties before", "выполнял похожие обязанности"),
        ("past duties differ", "прошлые обязанности другие"),
    ),
    "skills_missing": _missing_skills,
    "skills_matched": _matched_skills,
    "skills_matched_share": _matched_skills,
    "salary_inside_range": _yes_no(
        ("salary inside the range", "зарплатные ожидания в вилке"),
        ("salary outside the range", "зарплатные ожидания вне вилки"),
    ),
    "salary_above_top": _high_low(
        ("asks more than the range", "просит больше вилки"),
        ("salary not above the range", "не выше вилки"),
        0.05,
        high_is=WEAKNESS,
    ),
    # Asking less is a fact either way; not asking less says nothing a recruiter would weigh, so it is no reason.
    "salary_below_bottom": lambda value, _v, _r: (
        ("asks less than the range", "просит меньше вилки", FACT) if value >= 0.05 else None
    ),
    "experience_gap": _experience,
    "experience_met": _experience,
    "months_at_last_job": _fact(
        lambda value: (f"{value:.0f} months at the last job", f"{value:.0f} мес. на последнем месте")
    ),
    "average_tenure": _fact(
        lambda value: (f"about {value:.0f} months per job", f"в среднем {value:.0f} мес. на одном месте")
    ),
    "position_is_new": _yes_no(
        ("a new position for the candidate", "новая для кандидата должность"),
        ("has held such a position", "уже работал на такой должности"),
        yes_is=WEAKNESS,
    ),
    "same_city": _yes_no(("same city", "тот же город"), ("another city", "другой город")),
    "location_fit": _yes_no(
        ("location fits (city, remote or relocation)", "подходит по месту работы"),
        ("location does not fit", "не подходит по месту работы"),
    ),
    "languages_met_share": _high_low(
        ("speaks the languages asked", "владеет нужными языками"),
        ("lacks a language asked", "не хватает нужного языка"),
        0.99,
    ),
    "education_met": _yes_no(
        ("education as asked", "образование соответствует"), ("education below what is asked", "образование ниже")
    ),
    "employment_fit": _yes_no(
        ("employment type fits", "подходит тип занятости"), ("employment type differs", "другой тип занятости")
    ),
    "schedule_fit": _yes_no(("schedule fits", "подходит график"), ("schedule differs", "другой график")),
}


def strongest(contributions: np.ndarray, features: np.ndarray) -> np.ndarray:
    """What :func:`word` needs of one pair, compactly: the features whose contribution could be a reason
    (``|effect| >= MIN_EFFECT``), strongest first, as rows ``(feature index, effect, feature value)``. A few
    dozen bytes instead of the worded reasons: the ranking keeps this for every shown row between rounds."""
    order = np.argsort(-np.abs(contributions), kind="stable")
    order = order[np.abs(contributions[order]) >= MIN_EFFECT]
    return np.stack([order.astype(np.float32), contributions[order], features[order]], axis=1).astype(np.float32)


def word(strong: np.ndarray, vacancy: Posting, resume: Posting) -> list[dict[str, Any]]:
    """The strongest reasons for (up to 3) and against (up to 2) one pair, strongest first, from
    :func:`strongest`'s rows. ``side`` says which; a reason whose words say the opposite of its effect (a
    weakness that raised the score, through another feature's interplay) is not shown."""
    reasons: list[dict[str, Any]] = []
    counts = {"for": 0, "against": 0}
    seen: set[str] = set()
    for j, effect, value in strong.tolist():
        name = NAMES[int(j)]
        side = "for" if effect > 0 else "against"
        limit = FOR if side == "for" else AGAINST
        phrase = PHRASES.get(name)
        if counts[side] >= limit or phrase is None:
            continue
        worded = phrase(value, vacancy, resume)
        if worded is None or worded[0] in seen or worded[2] * effect < 0:
            continue
        seen.add(worded[0])
        counts[side] += 1
        reasons.append({"feature": name, "effect": round(effect, 3), "side": side, "en": worded[0], "ru": worded[1]})
        if counts["for"] >= FOR and counts["against"] >= AGAINST:
            break
    return reasons


def explain(contributions: np.ndarray, features: np.ndarray, vacancy: Posting, resume: Posting) -> list[dict[str, Any]]:
    """The strongest reasons for (up to 3) and against (up to 2) one pair, strongest first."""
    return word(strongest(contributions, features), vacancy, resume)
