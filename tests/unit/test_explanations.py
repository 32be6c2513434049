"""Reasons a recruiter can trust: for and against apart, at most three for and two against, and the words of a
reason never say the opposite of its effect (a weakness is never a reason for, a strength never one against)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from careerrank.scoring.explanations import AGAINST, FOR, PHRASES, STRENGTH, WEAKNESS, word
from careerrank.scoring.features import INDEX
from careerrank.scoring.postings import Posting
from schemas import Kind

WORDED = sorted(PHRASES)
INDEX_NAMES = {i: n for n, i in INDEX.items()}


def posting(kind: Kind, skills: tuple[str, ...], title: str = "") -> Posting:
    return Posting(kind, f"{kind[0]}1", datetime(2026, 1, 1, tzinfo=UTC), title, "", skills)


VACANCY = posting("vacancy", ("PHP", "MySQL", "Laravel", "Docker"), "Ведущий программист PHP / Специалист IT")
RESUMES = [
    posting("resume", ("PHP", "MySQL"), "Web-разработчик"),
    posting("resume", (), "Системный администратор, IT-специалист"),
    posting("resume", ("PHP", "MySQL", "Laravel", "Docker"), "PHP developer"),
    posting("resume", ()),
]

_ROWS = st.lists(
    st.tuples(
        st.sampled_from(WORDED),
        st.floats(-3, 3).filter(lambda e: abs(e) >= 0.05),
        st.one_of(st.floats(-10, 400), st.just(float("nan"))),
    ),
    min_size=1,
    max_size=12,
)


def words_of(name: str, value: float, resume: Posting) -> tuple[str, str, int] | None:
    return PHRASES[name](value, VACANCY, resume)


@settings(max_examples=500, deadline=None)
@given(rows=_ROWS, which=st.integers(0, len(RESUMES) - 1))
def test_no_reason_says_the_opposite_of_its_effect(rows: list[tuple[str, float, float]], which: int) -> None:
    resume = RESUMES[which]
    strong = np.array([(INDEX[name], effect, value) for name, effect, value in rows], np.float32)
    strong = strong[np.argsort(-np.abs(strong[:, 1]), kind="stable")]
    reasons = word(strong, VACANCY, resume)
    assert sum(r["side"] == "for" for r in reasons) <= FOR
    assert sum(r["side"] == "against" for r in reasons) <= AGAINST
    said = {}
    for name, _, value in strong.tolist():
        worded = words_of(INDEX_NAMES[int(name)], value, resume)
        if worded is not None:
            said.setdefault(worded[0], worded[2])
    for reason in reasons:
        assert reason["side"] == ("for" if reason["effect"] > 0 else "against")
        polarity = said[reason["en"]]
        if reason["side"] == "for":
            assert polarity != WEAKNESS, reason
        else:
            assert polarity != STRENGTH, reason


def test_the_reported_contradiction_is_not_shown() -> None:
    # Skills far from the requirements raising a score, a position unlike the title lowering it.
    strong = np.array(
        [(INDEX["requirements_vs_skills"], 1.14, 0.05), (INDEX["title_vs_title"], -1.24, 0.1)], np.float32
    )
    reasons = word(strong, VACANCY, RESUMES[0])
    assert [(r["en"], r["side"]) for r in reasons] == [("position sought differs from the title", "against")]


def test_every_phrase_says_what_it_is() -> None:
    for name in WORDED:
        for value in (0.0, 0.2, 0.5, 1.0, 5.0, -2.0):
            worded = words_of(name, value, RESUMES[0])
            assert worded is None or worded[2] in (STRENGTH, WEAKNESS, 0), name


def test_occupations_are_named_and_a_different_one_is_a_weakness() -> None:
    admin, php = RESUMES[1], RESUMES[2]
    assert words_of("occupation_sought_fit", 0.0, admin) == (
        "seeks: system administrator, not PHP developer",
        "ищет работу: системный администратор, а не PHP-разработчик",
        WEAKNESS,
    )
    same = words_of("occupation_sought_fit", 2.0, php)
    assert same is not None and same[2] == STRENGTH
    assert words_of("occupation_sought_fit", float("nan"), RESUMES[3]) is None
    strong = np.array([(INDEX["occupation_sought_fit"], 0.8, 0.0)], np.float32)
    assert word(strong, VACANCY, admin) == []  # a different occupation never raised a score in words
