"""Retrieval setups compared by the evaluation: how texts are built, encoded and scored.

Each setup turns the vacancies and resumes of a dataset into a vacancy × resume score matrix (higher is
better) and reports how long building each side's index took (encoding included), as the prototype did.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import faiss
import numpy as np
import numpy.typing as npt

from careerrank.encoding import Encoder, SentenceTransformerEncoder, load_encoder, model_id
from careerrank.encoding.texts import embedding_text
from careerrank.settings import ModelSettings
from schemas import Upsert

Scores = npt.NDArray[np.float32]
TextBuilder = Callable[[Upsert], str]


@dataclass
class Built:
    scores: Scores  # vacancies × resumes
    vacancy_index_s: float
    resume_index_s: float


@dataclass
class Setup:
    name: str
    model: str
    run: Callable[[Sequence[Upsert], Sequence[Upsert], EncodeCache], Built]
    note: str = ""


def prototype_text(event: Upsert) -> str:
    """The CareerRank prototype's text: the columns joined with spaces, an empty cell becoming "nan"."""
    return " ".join(value if value else "nan" for value in (event.title, event.text))


def careful_text(max_chars: int) -> TextBuilder:
    return lambda event: embedding_text(event, max_chars)[0]


@dataclass
class EncodeCache:
    """Encoders loaded once and vectors computed once per (model, text builder, kind) in one run."""

    max_seq_length: int = 256
    encoders: dict[str, Encoder] = field(default_factory=dict)
    vectors: dict[tuple[str, str, str], tuple[npt.NDArray[np.float32], float]] = field(default_factory=dict)

    def encoder(self, model: str) -> Encoder:
        if model not in self.encoders:
            self.encoders[model] = load_encoder(ModelSettings(name=model, max_seq_length=self.max_seq_length))
        return self.encoders[model]

    def encode(
        self,
        model: str,
        builder_name: str,
        builder: TextBuilder,
        kind: str,
        events: Sequence[Upsert],
        prefix: str = "",
        normalise: bool = True,
    ) -> tuple[npt.NDArray[np.float32], float]:
        key = (model, builder_name + prefix + str(normalise), kind)
        if key not in self.vectors:
            encoder = self.encoder(model)
            texts = [prefix + builder(e) for e in events]
            started = time.perf_counter()
            vectors = encoder.encode(texts) if normalise else _encode_raw(encoder, texts)
            self.vectors[key] = (vectors, time.perf_counter() - started)
        return self.vectors[key]


def _encode_raw(encoder: Encoder, texts: list[str]) -> npt.NDArray[np.float32]:
    # Only sentence-transformers models have unnormalised outputs to use.
    if isinstance(encoder, SentenceTransformerEncoder):
        return encoder.unnormalised(texts)
    return encoder.encode(texts)


def dense(
    name: str,
    model: str,
    builder_name: str,
    builder: TextBuilder,
    prefix: str = "",
    normalise: bool = True,
    metric: str = "ip",
    note: str = "",
) -> Setup:
    def run(vacancies: Sequence[Upsert], resumes: Sequence[Upsert], cache: EncodeCache) -> Built:
        v, v_s = cache.encode(model, builder_name, builder, "vacancy", vacancies, prefix, normalise)
        r, r_s = cache.encode(model, builder_name, builder, "resume", resumes, prefix, normalise)
        started = time.perf_counter()
        index: faiss.Index = faiss.IndexFlatL2(r.shape[1]) if metric == "l2" else faiss.IndexFlatIP(r.shape[1])
        index.add(r)
        r_add = time.perf_counter() - started
        if metric == "l2":
            d2 = (v**2).sum(1)[:, None] + (r**2).sum(1)[None, :] - 2 * v @ r.T
            scores = -np.sqrt(np.maximum(d2, 0))
        else:
            scores = v @ r.T
        return Built(scores.astype(np.float32), v_s + r_add, r_s + r_add)

    return Setup(name, model, run, note)


def tfidf_char(name: str = "tfidf-char", builder_name: str = "careful", builder: TextBuilder | None = None) -> Setup:
    """Character n-gram TF-IDF (word-bounded 2–5-grams): Russian morphology and English terms alike."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    build_text = builder or careful_text(4000)

    def run(vacancies: Sequence[Upsert], resumes: Sequence[Upsert], cache: EncodeCache) -> Built:
        started = time.perf_counter()
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        vectorizer.fit([build_text(e) for e in [*vacancies, *resumes]])
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        v = vectorizer.transform([build_text(e) for e in vacancies])
        v_s = time.perf_counter() - started
        started = time.perf_counter()
        r = vectorizer.transform([build_text(e) for e in resumes])
        r_s = time.perf_counter() - started
        scores = (v @ r.T).toarray().astype(np.float32)
        return Built(scores, v_s + fit_s / 2, r_s + fit_s / 2)

    return Setup(name, "char 2-5-gram TF-IDF", run, "fitted on the evaluated corpus")


def hybrid(name: str, parts: Sequence[tuple[Setup, float]], note: str = "") -> Setup:
    """Weighted sum of the parts' scores (each a cosine, so the scales agree)."""

    def run(vacancies: Sequence[Upsert], resumes: Sequence[Upsert], cache: EncodeCache) -> Built:
        built = [(setup.run(vacancies, resumes, cache), weight) for setup, weight in parts]
        scores = sum(weight * b.scores for b, weight in built)
        return Built(
            np.asarray(scores, dtype=np.float32),
            sum(b.vacancy_index_s for b, _ in built),
            sum(b.resume_index_s for b, _ in built),
        )

    return Setup(name, " + ".join(f"{w:g}×{s.model}" for s, w in parts), run, note)


PIPELINE_DEFAULT = "[pipeline default]"


def standard_setups(models: list[str], max_chars: int = 2000) -> list[Setup]:
    """The standard comparison: the prototype's method, careful dense text, lexical, and hybrids."""
    careful = careful_text(max_chars)
    setups: list[Setup] = []
    lexical = tfidf_char()
    hashing = dense("hashing-2048", "hashing-2048", "careful", careful, note="deployable lexical channel")
    setups += [lexical, hashing]
    for model in models:
        setups.append(
            dense(
                f"prototype method ({model})",
                model,
                "prototype",
                prototype_text,
                normalise=False,
                metric="l2",
                note="columns joined, 'nan' for empty cells, IndexFlatL2 on raw vectors",
            )
        )
        # The pipeline embeds exactly this text (careerrank.encoding.texts.embedding_text) and ranks by cosine.
        pipeline = model_id(model) == model_id("default")
        name = f"careful text ({model})" + (f" {PIPELINE_DEFAULT}" if pipeline else "")
        cosine = dense(name, model, "careful", careful, note="title, skills, text; cosine")
        setups.append(cosine)
        setups.append(hybrid(f"hybrid ({model} + tfidf)", [(cosine, 0.5), (lexical, 0.5)]))
        setups.append(hybrid(f"hybrid ({model} + hashing)", [(cosine, 0.5), (hashing, 0.5)], note="deployable"))
    return setups
