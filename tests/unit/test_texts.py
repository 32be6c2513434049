"""The encoder's input text: field order, whitespace, truncation at a word boundary, fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from careerrank.encoding.texts import embedding_text, text_hash, truncate
from schemas import ResumeUpserted, VacancyUpserted

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def vacancy(**fields: object) -> VacancyUpserted:
    return VacancyUpserted.model_validate({"event_id": "e", "occurred_at": NOW, "id": "v1", **fields})


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("short text", 10) == ("short text", False)
    assert truncate("", 5) == ("", False)


def test_truncate_cuts_at_word_boundary() -> None:
    text = "alpha beta gamma deltas"
    # 19 chars cut inside "deltas": back off to the space at 16 (> 0.8 * 19).
    assert truncate(text, 19) == ("alpha beta gamma", True)
    # At 20 the space at 16 is not past 0.8 * 20: a hard cut keeps more of the budget.
    assert truncate(text, 20) == ("alpha beta gamma del", True)


def test_truncate_hard_cuts_when_no_space_near_the_end() -> None:
    # The last space is at 5, far before 0.8 * 20: cutting back there would lose too much.
    assert truncate("short " + "x" * 30, 20) == ("short " + "x" * 14, True)
    assert truncate("y" * 30, 10) == ("y" * 10, True)


def test_truncate_strips_trailing_whitespace() -> None:
    assert truncate("abcdefgh   " + "z" * 10, 11) == ("abcdefgh", True)


@given(text=st.text(alphabet=st.sampled_from("ab \n"), max_size=60), max_chars=st.integers(0, 70))
def test_truncate_properties(text: str, max_chars: int) -> None:
    out, cut = truncate(text, max_chars)
    assert cut == (len(text) > max_chars)
    assert len(out) <= max_chars
    assert text.startswith(out)
    if cut:
        assert out == out.rstrip()
        # Only blanks, or the last 20% of the budget, are given up to find a word boundary.
        assert all(text[i].isspace() or i > max_chars * 0.8 for i in range(len(out), max_chars))
        if out and any(text[i] == " " for i in range(len(out), max_chars)):
            assert text[len(out)].isspace(), "a word was split although a boundary was near"
    else:
        assert out == text


def test_embedding_text_order_title_skills_text() -> None:
    event = vacancy(title=" Python developer ", skills=["Django", "SQL"], text="Build  APIs.\n\nShip\tfast.")
    assert embedding_text(event, 1000) == ("Python developer. Django, SQL. Build APIs. Ship fast.", False)


def test_embedding_text_skips_empty_parts() -> None:
    assert embedding_text(vacancy(title="Cook"), 100) == ("Cook", False)
    assert embedding_text(vacancy(text="  only   text "), 100) == ("only text", False)
    assert embedding_text(vacancy(skills=["Go"]), 100) == ("Go", False)


def test_embedding_text_truncates_from_the_end() -> None:
    event = ResumeUpserted.model_validate(
        {"event_id": "e", "occurred_at": NOW, "id": "r1", "title": "Data engineer", "text": "word " * 500}
    )
    text, cut = embedding_text(event, 64)
    assert cut
    assert len(text) <= 64
    assert text.startswith("Data engineer. word word")


def test_text_hash_is_a_stable_16_byte_fingerprint() -> None:
    digest = text_hash("Python developer")
    assert isinstance(digest, bytes)
    assert len(digest) == 16
    assert digest == text_hash("Python developer")
    assert digest != text_hash("Python developer ")
    assert text_hash("Разработчик") != text_hash("разработчик")
    # Pinned: the fingerprint is stored in PostgreSQL, so changing the function re-embeds everything.
    assert text_hash("").hex() == "cae66941d9efbd404e4d88758ea67670"
