"""Lemmas of Russian and English text, and TF-IDF vectors over them: weights, cosines, serialisation."""

from __future__ import annotations

import numpy as np
import pytest

from careerrank.scoring import lemmas
from careerrank.scoring.lemmas import Lemmatizer, stem_english
from careerrank.scoring.tfidf import GroupVectorizer, row_cosines


@pytest.fixture(scope="module")
def lemmatizer() -> Lemmatizer:
    return Lemmatizer()


@pytest.mark.parametrize(
    ("forms", "lemma"),
    [
        ("разработчик разработчика разработчиков Разработчику разработчиками", "разработчик"),
        ("программирование программированию программированием программирования", "программирование"),
        ("опыт опыта опытом опыте", "опыт"),
        ("база базы базами базах", "база"),
    ],
)
def test_russian_inflections_share_a_lemma(lemmatizer: Lemmatizer, forms: str, lemma: str) -> None:
    assert lemmatizer.lemmas(forms) == [lemma] * len(forms.split())


def test_words_of_a_phrase_are_lemmatised_one_by_one(lemmatizer: Lemmatizer) -> None:
    assert lemmatizer.lemmas("базами данных, опытными разработчиками") == ["база", "данные", "опытный", "разработчик"]


def test_yo_is_spelled_e(lemmatizer: Lemmatizer) -> None:
    assert lemmatizer.lemmas("Ёлки, ещё отчёт") == ["елка", "отчет"]


@pytest.mark.parametrize(
    ("plural", "singular"),
    [("developers", "developer"), ("skills", "skill"), ("companies", "company"), ("classes", "class")],
)
def test_english_plurals_share_a_stem(lemmatizer: Lemmatizer, plural: str, singular: str) -> None:
    assert lemmatizer.lemmas(plural) == lemmatizer.lemmas(singular) == [singular]


def test_english_stemmer_is_conservative() -> None:
    assert [stem_english(w) for w in ("testing", "tested", "programming", "embedded")] == [
        "test",
        "test",
        "program",
        "embed",
    ]
    assert stem_english("manage") == stem_english("managed") == stem_english("managing") == "manag"
    # Short, vowel-less or "-ss"/"-us"/"-is" words are left alone.
    assert [stem_english(w) for w in ("string", "need", "aws", "class", "status", "analysis", "redis")] == [
        "string",
        "need",
        "aws",
        "class",
        "status",
        "analysis",
        "redis",
    ]
    assert stem_english("apis") == "api"


def test_tech_tokens_survive_whole(lemmatizer: Lemmatizer) -> None:
    text = "Знание C++, C#, .NET, Node.js, ASP.NET и Vue.js; опыт с 1С и 1C, С++ в кириллице."
    assert lemmatizer.lemmas(text) == [
        "знание",
        "c++",
        "c#",
        ".net",
        "node.js",
        "asp.net",
        "vue.js",
        "опыт",
        "1с",
        "1с",
        "c++",
        "кириллица",
    ]


def test_a_sentence_dot_does_not_glue_words(lemmatizer: Lemmatizer) -> None:
    assert lemmatizer.lemmas("Опыт.Python обязателен") == ["опыт", "python", "обязательный"]


def test_stop_words_numbers_and_single_letters_drop(lemmatizer: Lemmatizer) -> None:
    assert lemmatizer.lemmas("и в на с для этих, т.е. 2020 3.11 5 x") == []
    assert lemmatizer.lemmas("the and of with developers for you") == ["developer"]
    # "C" and "R" are languages; "IT" is the industry.
    assert lemmatizer.lemmas("языки R и C в IT") == ["язык", "r", "c", "it"]


def test_a_repeated_word_is_lemmatised_once(monkeypatch: pytest.MonkeyPatch) -> None:
    lemmatizer = Lemmatizer()
    seen: list[str] = []
    uncached = lemmatizer._lemma

    def counting(token: str) -> str:
        seen.append(token)
        return uncached(token)

    monkeypatch.setattr(lemmatizer, "_lemma", counting)
    assert lemmatizer.lemmas("разработчик разработчик C++") == ["разработчик", "разработчик", "c++"]
    assert lemmatizer.lemmas("C++ разработчик") == ["c++", "разработчик"]
    assert seen == ["разработчик", "c++"]


def test_a_full_cache_starts_over_with_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lemmas, "_MAX_CACHE", 2)
    text = "опытных разработчиков программированию на python и c++ developers"
    assert Lemmatizer().lemmas(text) == ["опытный", "разработчик", "программирование", "python", "c++", "developer"]


def test_cache_returns_what_a_fresh_instance_returns() -> None:
    text = "Ищем разработчиков: Python, C++, программирование, базы данных, developers testing. " * 3
    warm = Lemmatizer()
    first = warm.lemmas(text)
    assert warm.lemmas(text) == first
    assert Lemmatizer().lemmas(text) == first
    assert [warm.lemma(w) for w in ("разработчиков", "c++", "и")] == ["разработчик", "c++", ""]
    assert first[:4] == ["искать", "разработчик", "python", "c++"]


DOCS = [
    ["python", "django", "postgresql", "docker"],
    ["python", "fastapi", "postgresql", "kafka"],
    ["java", "spring", "postgresql", "docker"],
    ["python", "pandas", "sql", "airflow"],
    ["java", "kotlin", "spring", "kafka"],
    ["python", "django", "celery", "docker"],
]


@pytest.fixture(scope="module")
def vectorizer() -> GroupVectorizer:
    return GroupVectorizer.fit(DOCS, min_df=2)


def test_fit_keeps_terms_in_min_df_docs_sorted(vectorizer: GroupVectorizer) -> None:
    assert vectorizer.terms == ("django", "docker", "java", "kafka", "postgresql", "python", "spring")
    assert len(vectorizer) == 7
    # Smooth idf: ln((1 + n) / (1 + df)) + 1 with n = 6; "python" is in 4 docs, "java" in 2.
    assert vectorizer.idf[vectorizer.terms.index("python")] == pytest.approx(np.log(7 / 5) + 1, rel=1e-6)
    assert vectorizer.idf[vectorizer.terms.index("java")] == pytest.approx(np.log(7 / 3) + 1, rel=1e-6)
    assert len(GroupVectorizer.fit(DOCS, min_df=1, max_features=3)) == 3


def test_rows_are_sublinear_and_unit_length(vectorizer: GroupVectorizer) -> None:
    matrix = vectorizer.transform([["python", "python", "python", "java"]])
    assert matrix.dtype == np.float32
    assert matrix.shape == (1, 7)
    row = matrix.toarray()[0]
    idf = vectorizer.idf
    expected = np.zeros(7)
    expected[5] = (1 + np.log(3)) * idf[5]
    expected[2] = idf[2]
    np.testing.assert_allclose(row, expected / np.linalg.norm(expected), rtol=1e-6)


def test_identical_docs_have_cosine_one_and_disjoint_docs_zero(vectorizer: GroupVectorizer) -> None:
    a = vectorizer.transform([DOCS[0], DOCS[0], ["java", "spring"]])
    b = vectorizer.transform([DOCS[0], list(reversed(DOCS[0])), ["python", "django"]])
    cosines = row_cosines(a, b)
    assert cosines.dtype == np.float32
    assert cosines.shape == (3,)
    np.testing.assert_allclose(cosines, [1.0, 1.0, 0.0], atol=1e-6)


def test_a_shared_rare_term_weighs_more_than_a_shared_common_one(vectorizer: GroupVectorizer) -> None:
    # Both pairs share one term and differ in one; "spring" (2 docs) is rarer than "python" (4 docs).
    a = vectorizer.transform([["spring", "docker"], ["python", "docker"]])
    b = vectorizer.transform([["spring", "kafka"], ["python", "kafka"]])
    rare, common = row_cosines(a, b)
    assert rare > common > 0.0


def test_unknown_terms_are_ignored(vectorizer: GroupVectorizer) -> None:
    with_unknown = vectorizer.transform([["python", "cobol", "docker", "fortran"]])
    without = vectorizer.transform([["python", "docker"]])
    np.testing.assert_array_equal(with_unknown.toarray(), without.toarray())


def test_an_empty_doc_is_a_zero_row_with_cosine_zero(vectorizer: GroupVectorizer) -> None:
    a = vectorizer.transform([[], ["cobol"], ["python"]])
    assert a.shape == (3, 7)
    assert a.getrow(0).nnz == 0
    assert a.getrow(1).nnz == 0
    b = vectorizer.transform([["python"], [], []])
    np.testing.assert_array_equal(row_cosines(a, b), [0.0, 0.0, 0.0])
    assert vectorizer.transform([]).shape == (0, 7)


def test_bytes_round_trip_is_exact(vectorizer: GroupVectorizer) -> None:
    data = vectorizer.to_bytes()
    loaded = GroupVectorizer.from_bytes(data)
    assert loaded.terms == vectorizer.terms
    np.testing.assert_array_equal(loaded.idf, vectorizer.idf)
    before, after = vectorizer.transform(DOCS), loaded.transform(DOCS)
    np.testing.assert_array_equal(before.toarray(), after.toarray())
    assert loaded.to_bytes() == data
    russian = GroupVectorizer.fit([["разработчик", "c++"], ["разработчик", "c++", "ёлка"]], min_df=1)
    # Code-point order: "ё" (U+0451) sorts after "р" (U+0440).
    assert GroupVectorizer.from_bytes(russian.to_bytes()).terms == ("c++", "разработчик", "ёлка")


def test_from_bytes_rejects_other_data(vectorizer: GroupVectorizer) -> None:
    with pytest.raises(ValueError, match="bad magic"):
        GroupVectorizer.from_bytes(b"\x80\x04pickle-ish-bytes")
    with pytest.raises(ValueError, match="idf bytes"):
        GroupVectorizer.from_bytes(vectorizer.to_bytes()[:-1])


def test_fit_is_deterministic() -> None:
    rng = np.random.default_rng(7)
    words = [f"t{i}" for i in range(300)]
    docs = [[words[j] for j in rng.integers(0, 300, size=20)] for _ in range(200)]
    first = GroupVectorizer.fit(docs, max_features=100)
    second = GroupVectorizer.fit(list(reversed(docs)), max_features=100)
    assert first.to_bytes() == second.to_bytes()
    assert list(first.terms) == sorted(first.terms)
    assert len(first) == 100


def test_row_cosines_needs_equal_shapes(vectorizer: GroupVectorizer) -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        row_cosines(vectorizer.transform([["python"]]), vectorizer.transform([["python"], ["java"]]))
