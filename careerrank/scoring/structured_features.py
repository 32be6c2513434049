"""The pair features that compare structured fields (salary, experience, history, place, languages, education,
conditions, completeness), computed as arrays over a batch of pairs.

Each posting's scalars are one row of :attr:`Traits.numbers`, so a batch is two stacked matrices and every
feature one vectorised expression; only the set comparisons (skills, languages, employment, schedule) loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from careerrank.scoring.postings import COLUMN, Traits

Columns = dict[str, np.ndarray]


def _as_float(condition: np.ndarray, known: np.ndarray) -> np.ndarray:
    """1.0 / 0.0 where ``known``, NaN elsewhere."""
    return np.where(known, condition.astype(np.float64), np.nan)


def structured(vacancies: Sequence[Traits], resumes: Sequence[Traits], sought: np.ndarray) -> Columns:
    """Columns by feature name for the pairs ``(vacancies[i], resumes[i])``; ``sought`` is the
    ``sought_vs_past_positions`` column (the TF-IDF side), which ``position_is_new`` reads."""
    v = np.stack([t.numbers for t in vacancies])
    r = np.stack([t.numbers for t in resumes])

    def vc(name: str) -> np.ndarray:
        return v[:, COLUMN[name]]

    def rc(name: str) -> np.ndarray:
        return r[:, COLUMN[name]]

    out: Columns = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        _salary(out, vc, rc)
        gap = rc("experience") - vc("experience")
        known = ~np.isnan(gap)
        out |= {
            "experience_required": vc("experience"),
            "experience_actual": rc("experience"),
            "experience_gap": gap,
            "experience_met": _as_float(gap >= 0, known),
            "experience_far_above": _as_float(gap >= 5, known),
            "months_at_last_job": rc("months_last_job"),
            "average_tenure": rc("average_tenure"),
            "jobs": rc("jobs"),
            "employed_now": rc("employed_now"),
            "months_out_of_work": rc("months_out_of_work"),
            "position_is_new": _as_float(sought < 0.2, rc("jobs") > 0),
        }
        same_city = (vc("city") == rc("city")) & ~np.isnan(vc("city"))
        both_remote = (vc("remote") == 1) & (rc("remote") != 0)
        out |= {
            "same_city": same_city.astype(np.float64),
            "city_missing": (np.isnan(vc("city")) | np.isnan(rc("city"))).astype(np.float64),
            "vacancy_remote": vc("remote"),
            "resume_remote": rc("remote"),
            "relocation_ready": rc("relocation"),
            "location_fit": (same_city | both_remote | (rc("relocation") == 1)).astype(np.float64),
            "same_language": ((vc("language") == rc("language")) & ~np.isnan(vc("language"))).astype(np.float64),
            "languages_required": vc("languages"),
            "english_gap": np.where(vc("english") >= 0, np.maximum(0.0, vc("english") - rc("english")), np.nan),
            "education_required": vc("education"),
            "education_level": rc("education"),
            "education_met": np.where(
                np.isnan(vc("education")), np.nan, (np.nan_to_num(rc("education"), nan=-1) >= vc("education"))
            ),
            "resume_completeness": rc("completeness"),
            "vacancy_completeness": vc("completeness"),
            "resume_text_length": rc("text_length"),
            "vacancy_text_length": vc("text_length"),
            "vacancy_skills": vc("skills"),
            "resume_skills": rc("skills"),
        }
    out |= _sets(vacancies, resumes)
    return out


def _salary(out: Columns, vc: object, rc: object) -> None:
    low, high, wanted = vc("salary_low"), vc("salary_high"), rc("salary_low")  # type: ignore[operator]
    vacancy_missing, resume_missing = np.isnan(low), np.isnan(wanted)
    both = ~(vacancy_missing | resume_missing)
    middle = (low + high) / 2
    out |= {
        "salary_same_currency": (vc("currency") == rc("currency")).astype(np.float64),  # type: ignore[operator]
        "salary_vacancy_missing": vacancy_missing.astype(np.float64),
        "salary_resume_missing": resume_missing.astype(np.float64),
        "salary_inside_range": _as_float((low <= wanted) & (wanted <= high), both),
        "salary_above_top": np.where(both & (high > 0), np.maximum(0.0, (wanted - high) / high), np.nan),
        "salary_below_bottom": np.where(both & (low > 0), np.maximum(0.0, (low - wanted) / low), np.nan),
        "salary_log_ratio": np.where(both & (wanted > 0) & (middle > 0), np.log(wanted / middle), np.nan),
    }


def _sets(vacancies: Sequence[Traits], resumes: Sequence[Traits]) -> Columns:
    n = len(vacancies)
    matched = np.zeros(n)
    met_share = np.full(n, np.nan)
    employment = np.full(n, np.nan)
    schedule = np.full(n, np.nan)
    for i, (v, r) in enumerate(zip(vacancies, resumes, strict=True)):
        if v.skills and r.skills:
            matched[i] = len(v.skills & r.skills)
        if v.languages:
            met = sum(1 for code, level in v.languages.items() if r.languages.get(code, -1) >= level)
            met_share[i] = met / len(v.languages)
        if v.employment and r.employment:
            employment[i] = float(not v.employment.isdisjoint(r.employment))
        if v.schedule and r.schedule:
            schedule[i] = float(not v.schedule.isdisjoint(r.schedule))
    listed = np.array([len(v.skills) for v in vacancies], np.float64)
    return {
        "skills_matched": matched,
        "skills_missing": listed - matched,
        "skills_matched_share": np.where(listed > 0, matched / np.maximum(listed, 1), np.nan),
        "languages_met_share": met_share,
        "employment_fit": employment,
        "schedule_fit": schedule,
    }
