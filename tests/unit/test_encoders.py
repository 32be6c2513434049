"""The model-free hashing encoder, normalisation and model naming (no neural model is loaded here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from careerrank.encoders import DEFAULT_MODEL_ID, HashingEncoder, load_encoder, model_id, normalise
from careerrank.settings import ModelSettings


def cosine(encoder: HashingEncoder, a: str, b: str) -> float:
    va, vb = encoder.encode([a, b])
    return float(va @ vb)


def test_normalise_gives_unit_rows_and_keeps_zero_rows() -> None:
    out = normalise(np.asarray([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]], dtype=np.float64))
    assert out.dtype == np.float32
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]], atol=1e-7)
    assert not np.isnan(out).any()


def test_normalise_does_not_modify_a_float64_input() -> None:
    source = np.asarray([[3.0, 4.0]])
    normalise(source)
    np.testing.assert_array_equal(source, [[3.0, 4.0]])


@given(st.lists(st.lists(st.floats(-1e3, 1e3), min_size=4, max_size=4), min_size=1, max_size=8))
def test_normalise_property(rows: list[list[float]]) -> None:
    out = normalise(np.asarray(rows))
    norms = np.linalg.norm(out, axis=1)
    for row, norm in zip(rows, norms, strict=True):
        if np.linalg.norm(row) > 1e-3:
            assert norm == pytest.approx(1.0, abs=1e-5)


def test_hashing_encoder_shape_dtype_and_unit_norm() -> None:
    encoder = HashingEncoder(dim=64)
    vectors = encoder.encode(["Python developer", "Повар", "", "!!!"])
    assert vectors.shape == (4, 64)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), [1.0, 1.0], atol=1e-6)
    # No words, no features: a zero row, never NaN.
    np.testing.assert_array_equal(vectors[2:], 0.0)
    assert (encoder.name, encoder.dim, encoder.device) == ("hashing-64", 64, "cpu")
    assert encoder.encode([]).shape == (0, 64)


def test_hashing_encoder_is_deterministic_across_instances() -> None:
    texts = ["Senior Python developer, Django", "Бухгалтер 1С, первичная документация"]
    first = HashingEncoder(128).encode(texts)
    np.testing.assert_array_equal(first, HashingEncoder(128).encode(texts))
    # Pinned: stored vectors must stay comparable with new ones across releases (crc32, not hash()).
    # "ab" is padded to " ab " and gives the trigrams " ab" and "ab ".
    expected = np.zeros(16, dtype=np.float32)
    expected[[0, 8]] = [-(0.5**0.5), 0.5**0.5]
    np.testing.assert_allclose(HashingEncoder(16).encode(["ab"])[0], expected, atol=1e-7)


def test_hashing_encoder_ignores_case_and_punctuation() -> None:
    encoder = HashingEncoder()
    a, b = encoder.encode(["Python, SQL!", "python sql"])
    np.testing.assert_array_equal(a, b)


def test_hashing_encoder_is_a_bag_of_words() -> None:
    encoder = HashingEncoder()
    a, b = encoder.encode(["data engineer", "engineer data"])
    np.testing.assert_allclose(a, b, atol=1e-7)


@pytest.mark.parametrize(
    ("text", "related", "unrelated"),
    [
        ("Python разработчик", "разработчика на Python", "повар в ресторан"),
        ("бухгалтер по расчёту зарплаты", "бухгалтера, расчёт заработной платы", "водитель погрузчика"),
        ("Senior Java developer", "java developers backend", "кондитер"),
        ("менеджер по продажам", "продажи, менеджер B2B", "Python developer"),
    ],
)
def test_hashing_encoder_related_texts_score_higher(text: str, related: str, unrelated: str) -> None:
    encoder = HashingEncoder(dim=256)
    assert cosine(encoder, text, related) > cosine(encoder, text, unrelated) + 0.2


def test_hashing_encoder_shares_ngrams_across_russian_word_forms() -> None:
    encoder = HashingEncoder(dim=512)
    # Inflected forms share most trigrams; unrelated words share almost none.
    assert cosine(encoder, "программист", "программиста") > 0.6
    assert cosine(encoder, "программист", "электрик") < 0.3


def test_hashing_ngram_size_matters() -> None:
    # Words shorter than n still produce a feature.
    vector = HashingEncoder(dim=32, ngram=5).encode(["go"])
    assert np.linalg.norm(vector) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("default", DEFAULT_MODEL_ID),
        ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2"),
        ("hashing", "hashing-256"),
        ("hashing-64", "hashing-64"),
        (
            "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
            "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
        ),
    ],
)
def test_model_id(name: str, expected: str) -> None:
    assert model_id(ModelSettings(name=name)) == expected


def test_model_id_of_a_local_path_is_its_directory_name(tmp_path: Path) -> None:
    model_dir = tmp_path / "my-model-v3"
    model_dir.mkdir()
    assert model_id(ModelSettings(name=str(model_dir))) == "my-model-v3"


def test_model_id_rejects_a_bad_hashing_dim() -> None:
    with pytest.raises(ValueError):
        model_id(ModelSettings(name="hashing-big"))


def test_load_encoder_builds_hashing_without_a_model() -> None:
    encoder = load_encoder(ModelSettings(name="hashing-32"))
    assert isinstance(encoder, HashingEncoder)
    assert encoder.name == "hashing-32"
    assert encoder.dim == 32
    assert encoder.encode(["x"]).shape == (1, 32)


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("intfloat/multilingual-e5-small", "query: "),
        ("/models/multilingual-e5-base", "query: "),
        ("cointegrated/rubert-tiny2", ""),
        ("cointegrated/LaBSE-en-ru", ""),
        ("/models/fe5-tiny", ""),
    ],
)
def test_e5_models_get_their_query_prefix_on_both_sides(name: str, prefix: str) -> None:
    from careerrank.encoders import text_prefix_for

    assert text_prefix_for(name) == prefix
