"""The pair features, in one registry: name, group, version and a one-line meaning of each.

SuperJob's scorer computed about 170 pair features of a vacancy and a resume; these are the ones the events
carry the facts for. NaN means "not stated" (gradient boosting learns where missing values go). Age, gender
and their proxies (the year an education ended, years since graduation) are never features:
``tests/unit/test_features.py`` checks the registry and that changing them changes no value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from careerrank.scoring.postings import Posting, Traits
from careerrank.scoring.texts import PostingTexts, TextModel, pair_dots

FEATURE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    group: str
    version: int
    meaning: str


def _f(name: str, group: str, meaning: str, version: int = 1) -> Feature:
    return Feature(name, group, version, meaning)


FEATURES: tuple[Feature, ...] = (
    _f("cosine", "embedding", "cosine of the two postings' sentence embeddings"),
    _f("title_vs_title", "text", "TF-IDF cosine of the vacancy title and the position sought"),
    _f("title_vs_past_positions", "text", "TF-IDF cosine of the vacancy title and all past positions"),
    _f("title_vs_last_position", "text", "TF-IDF cosine of the vacancy title and the last position held"),
    _f("title_vs_resume_text", "text", "TF-IDF cosine of the vacancy title and the resume's text"),
    _f("sought_vs_past_positions", "text", "TF-IDF cosine of the position sought and the positions held"),
    _f("requirements_vs_skills", "text", "TF-IDF cosine of the vacancy's requirements and the resume's skills"),
    _f("skills_vs_skills", "text", "TF-IDF cosine of the two skill lists"),
    _f("requirements_vs_resume_text", "text", "TF-IDF cosine of the requirements and the resume's text"),
    _f("duties_vs_past_duties", "text", "TF-IDF cosine of the vacancy's duties and the duties of past jobs"),
    _f("duties_vs_resume_text", "text", "TF-IDF cosine of the vacancy's text and the resume's text"),
    _f("skills_matched_share", "skills", "share of the vacancy's listed skills the resume lists"),
    _f("skills_matched", "skills", "how many of the vacancy's listed skills the resume lists"),
    _f("skills_missing", "skills", "how many of the vacancy's listed skills the resume lacks"),
    _f("vacancy_skills", "skills", "how many skills the vacancy lists"),
    _f("resume_skills", "skills", "how many skills the resume lists"),
    _f("salary_same_currency", "salary", "both salaries are in one currency (else compared in roubles)"),
    _f("salary_vacancy_missing", "salary", "the vacancy states no salary"),
    _f("salary_resume_missing", "salary", "the resume states no desired salary"),
    _f("salary_inside_range", "salary", "the desired salary is inside the vacancy's range"),
    _f("salary_above_top", "salary", "relative gap of the desired salary above the range's top (0 if not)"),
    _f("salary_below_bottom", "salary", "relative gap of the desired salary below the range's bottom (0 if not)"),
    _f("salary_log_ratio", "salary", "log of the desired salary over the middle of the vacancy's range"),
    _f("experience_required", "experience", "years of experience the vacancy asks for"),
    _f("experience_actual", "experience", "years of experience the resume states"),
    _f("experience_gap", "experience", "actual minus required years"),
    _f("experience_met", "experience", "the resume has the years asked for"),
    _f("experience_far_above", "experience", "five or more years above what is asked (overqualified)"),
    _f("months_at_last_job", "history", "months at the current or last job"),
    _f("average_tenure", "history", "average months per job in the work history"),
    _f("jobs", "history", "jobs in the work history"),
    _f("employed_now", "history", "the candidate works somewhere now"),
    _f("months_out_of_work", "history", "months since the last job ended (0 when employed)"),
    _f("position_is_new", "history", "the position sought is unlike every position held"),
    _f("same_city", "location", "the vacancy and the resume name one city"),
    _f("city_missing", "location", "either side names no city"),
    _f("vacancy_remote", "location", "the vacancy can be done remotely"),
    _f("resume_remote", "location", "the candidate wants or accepts remote work"),
    _f("relocation_ready", "location", "the candidate is ready to move"),
    _f("location_fit", "location", "same city, remote on both sides, or ready to move"),
    _f("same_language", "language", "both postings are written in one language"),
    _f("languages_required", "language", "languages the vacancy requires"),
    _f("languages_met_share", "language", "share of required languages the resume has at the level asked"),
    _f("english_gap", "language", "levels of English asked minus levels stated (0 when met)"),
    _f("education_required", "education", "education level the vacancy asks for (ordinal)"),
    _f("education_level", "education", "highest education level of the resume (ordinal)"),
    _f("education_met", "education", "the resume's level meets the requirement"),
    _f("employment_fit", "conditions", "the employment types overlap (NaN when either states none)"),
    _f("schedule_fit", "conditions", "the schedules overlap (NaN when either states none)"),
    _f("resume_completeness", "completeness", "share of the resume's fields that are filled in"),
    _f("vacancy_completeness", "completeness", "share of the vacancy's fields that are filled in"),
    _f("resume_text_length", "completeness", "log of the resume's text length"),
    _f("vacancy_text_length", "completeness", "log of the vacancy's text length"),
)
NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a batch of pairs: the postings, their traits and their vectorised texts, aligned."""

    postings: Sequence[Posting]
    traits: Sequence[Traits]
    texts: Sequence[PostingTexts]


def pair_features(text_model: TextModel, vacancies: Side, resumes: Side, cosine: np.ndarray) -> np.ndarray:
    """The feature matrix of pairs ``(vacancies[i], resumes[i])``: float32, one column per :data:`FEATURES`."""
    n = len(cosine)
    out = np.full((n, len(FEATURES)), np.nan, np.float32)
    out[:, INDEX["cosine"]] = cosine

    def dots(name: str, v_field: str, r_field: str) -> None:
        left = text_model.matrix(vacancies.texts, v_field)
        right = text_model.matrix(resumes.texts, r_field)
        out[:, INDEX[name]] = pair_dots(left, right)

    if n:
        dots("title_vs_title", "title", "title")
        dots("title_vs_past_positions", "title", "past_positions")
        dots("title_vs_last_position", "title", "last_position")
        dots("requirements_vs_skills", "requirements", "skills")
        dots("skills_vs_skills", "skills", "skills")
        dots("requirements_vs_resume_text", "requirements", "requirements")
        dots("duties_vs_past_duties", "body", "past_duties")
        dots("duties_vs_resume_text", "body", "body")
        sought = pair_dots(
            text_model.matrix(resumes.texts, "title"), text_model.matrix(resumes.texts, "past_positions")
        )
        out[:, INDEX["sought_vs_past_positions"]] = sought
        dots("title_vs_resume_text", "title", "text_as_titles")
    for i, (v, r) in enumerate(zip(vacancies.traits, resumes.traits, strict=True)):
        _pair_row(out[i], v, r, vacancies.postings[i], resumes.postings[i])
    return out


def _pair_row(row: np.ndarray, v: Traits, r: Traits, vacancy: Posting, resume: Posting) -> None:
    nan = math.nan
    matched = len(v.skills & r.skills)
    row[INDEX["skills_matched"]] = matched
    row[INDEX["skills_missing"]] = len(v.skills) - matched
    row[INDEX["skills_matched_share"]] = matched / len(v.skills) if v.skills else nan
    row[INDEX["vacancy_skills"]] = len(v.skills)
    row[INDEX["resume_skills"]] = len(r.skills)
    _salary(row, v, r)
    gap = r.experience - v.experience
    row[INDEX["experience_required"]] = v.experience
    row[INDEX["experience_actual"]] = r.experience
    row[INDEX["experience_gap"]] = gap
    row[INDEX["experience_met"]] = float(gap >= 0) if not math.isnan(gap) else nan
    row[INDEX["experience_far_above"]] = float(gap >= 5) if not math.isnan(gap) else nan
    row[INDEX["months_at_last_job"]] = r.months_last_job
    row[INDEX["average_tenure"]] = r.average_tenure
    row[INDEX["jobs"]] = r.jobs
    row[INDEX["employed_now"]] = r.employed_now
    row[INDEX["months_out_of_work"]] = r.months_out_of_work
    sought = row[INDEX["sought_vs_past_positions"]]
    row[INDEX["position_is_new"]] = float(sought < 0.2) if r.jobs else nan
    same_city = v.city is not None and v.city == r.city
    row[INDEX["same_city"]] = float(same_city)
    row[INDEX["city_missing"]] = float(v.city is None or r.city is None)
    row[INDEX["vacancy_remote"]] = _flag(v.remote)
    row[INDEX["resume_remote"]] = _flag(r.remote)
    row[INDEX["relocation_ready"]] = _flag(r.relocation)
    both_remote = bool(v.remote) and r.remote is not False
    row[INDEX["location_fit"]] = float(same_city or both_remote or bool(r.relocation))
    row[INDEX["same_language"]] = float(vacancy.language is not None and vacancy.language == resume.language)
    row[INDEX["languages_required"]] = len(v.languages)
    if v.languages:
        met = sum(1 for code, level in v.languages.items() if r.languages.get(code, -1) >= level)
        row[INDEX["languages_met_share"]] = met / len(v.languages)
    if "en" in v.languages:
        row[INDEX["english_gap"]] = max(0, v.languages["en"] - r.languages.get("en", -1))
    row[INDEX["education_required"]] = v.education
    row[INDEX["education_level"]] = r.education
    if not math.isnan(v.education):
        row[INDEX["education_met"]] = float(r.education >= v.education) if not math.isnan(r.education) else 0.0
    row[INDEX["employment_fit"]] = _overlap(v.employment, r.employment)
    row[INDEX["schedule_fit"]] = _overlap(v.schedule, r.schedule)
    row[INDEX["resume_completeness"]] = r.completeness
    row[INDEX["vacancy_completeness"]] = v.completeness
    row[INDEX["resume_text_length"]] = r.text_length
    row[INDEX["vacancy_text_length"]] = v.text_length


def _salary(row: np.ndarray, v: Traits, r: Traits) -> None:
    row[INDEX["salary_same_currency"]] = float(v.currency == r.currency)
    vacancy_missing = math.isnan(v.salary_low_rub)
    resume_missing = math.isnan(r.salary_low_rub)
    row[INDEX["salary_vacancy_missing"]] = float(vacancy_missing)
    row[INDEX["salary_resume_missing"]] = float(resume_missing)
    if vacancy_missing or resume_missing:
        return
    wanted = r.salary_low_rub
    low, high = v.salary_low_rub, v.salary_high_rub
    row[INDEX["salary_inside_range"]] = float(low <= wanted <= high)
    row[INDEX["salary_above_top"]] = max(0.0, (wanted - high) / high) if high > 0 else math.nan
    row[INDEX["salary_below_bottom"]] = max(0.0, (low - wanted) / low) if low > 0 else math.nan
    middle = (low + high) / 2
    row[INDEX["salary_log_ratio"]] = math.log(wanted / middle) if wanted > 0 and middle > 0 else math.nan


def _flag(value: bool | None) -> float:
    return math.nan if value is None else float(value)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return math.nan if not a or not b else float(bool(a & b))
