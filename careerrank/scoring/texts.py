"""The text side of the pair features: lemmatised fields of each posting, TF-IDF per thematic group.

Three vectorizers, each fitted on the corpus of its group: ``titles`` (vacancy names, sought positions, past
positions), ``skills`` (skill lists and requirements) and ``duties`` (vacancy texts, resume texts, past
duties). Each posting's fields are lemmatised and vectorised once (:class:`PostingTexts`); a pair feature is
then the dot product of two L2-normalised rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from careerrank.scoring.lemmas import Lemmatizer
from careerrank.scoring.postings import Posting
from careerrank.scoring.tfidf import GroupVectorizer

GROUPS = ("titles", "skills", "duties")
# Long texts are cut: the head of a posting says what it is; the tail is boilerplate, and lemmatising it
# would cost more than the rest of scoring.
MAX_TEXT_CHARS = 3000

# field name -> (group, what of the posting it reads)
FIELDS: dict[str, tuple[str, Callable[[Posting], str]]] = {
    "title": ("titles", lambda p: p.title),
    "past_positions": ("titles", lambda p: p.past_positions()),
    "last_position": ("titles", lambda p: p.last_position()),
    "skills": ("skills", lambda p: "\n".join(p.skills)),
    "requirements": ("skills", lambda p: "\n".join(p.skills) + "\n" + p.body[:MAX_TEXT_CHARS]),
    "body": ("duties", lambda p: p.body[:MAX_TEXT_CHARS]),
    "text_as_titles": ("titles", lambda p: p.body[:MAX_TEXT_CHARS]),
    "past_duties": ("duties", lambda p: p.past_duties()[:MAX_TEXT_CHARS]),
}


@dataclass(frozen=True, slots=True)
class PostingTexts:
    """Every field of one posting as a sparse TF-IDF row (indices and weights) of its group's vocabulary."""

    rows: dict[str, tuple[np.ndarray, np.ndarray]]


class TextModel:
    """The fitted vectorizers of the three groups, and the lemmatiser they read through."""

    def __init__(self, vectorizers: dict[str, GroupVectorizer], lemmatizer: Lemmatizer | None = None) -> None:
        self.vectorizers = vectorizers
        self.lemmatizer = lemmatizer or Lemmatizer()

    @classmethod
    def fit(cls, postings: Sequence[Posting], lemmatizer: Lemmatizer | None = None) -> TextModel:
        """Fit each group's vectorizer on every field of ``postings`` that belongs to it."""
        lemmatizer = lemmatizer or Lemmatizer()
        docs: dict[str, list[list[str]]] = {g: [] for g in GROUPS}
        for posting in postings:
            seen: set[tuple[str, str]] = set()
            for group, read in FIELDS.values():
                text = read(posting)
                if text.strip() and (group, text) not in seen:
                    seen.add((group, text))
                    docs[group].append(lemmatizer.lemmas(text))
        return cls({g: GroupVectorizer.fit(docs[g]) for g in GROUPS}, lemmatizer)

    def texts(self, posting: Posting) -> PostingTexts:
        """Lemmatise and vectorise every field of ``posting`` (the costly part; cache the result)."""
        by_text: dict[str, list[str]] = {}
        lemmas = {}
        for name, (_, read) in FIELDS.items():
            text = read(posting)
            if text not in by_text:
                by_text[text] = self.lemmatizer.lemmas(text)
            lemmas[name] = by_text[text]
        rows = {}
        for name, (group, _) in FIELDS.items():
            row = self.vectorizers[group].transform([lemmas[name]])
            order = np.argsort(row.indices, kind="stable")  # ascending terms: see pair_dots
            rows[name] = (row.indices[order].astype(np.int32), row.data[order].astype(np.float32))
        return PostingTexts(rows)

    def matrix(self, texts: Sequence[PostingTexts], name: str) -> sp.csr_matrix:
        """Field ``name`` of each posting, stacked into one CSR matrix (one row per posting)."""
        group = FIELDS[name][0]
        indices = [t.rows[name][0] for t in texts]
        data = [t.rows[name][1] for t in texts]
        indptr = np.zeros(len(texts) + 1, np.int64)
        np.cumsum([len(i) for i in indices], out=indptr[1:])
        return sp.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int32),
                indptr,
            ),
            shape=(len(texts), len(self.vectorizers[group])),
        )

    def to_bytes(self) -> bytes:
        parts: dict[str, Any] = {g: np.frombuffer(self.vectorizers[g].to_bytes(), np.uint8) for g in GROUPS}
        buffer = io.BytesIO()
        np.savez(buffer, **parts)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return cls({g: GroupVectorizer.from_bytes(archive[g].tobytes()) for g in GROUPS})


def pair_dots(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Row ``i`` of ``left`` times row ``i`` of ``right``: the cosine of L2-normalised rows.

    Products in float64, summed per row in ascending term order with :func:`numpy.bincount`: the same pair gives
    the same bits whichever way it is computed (see ``careerrank.scoring.features``), so a pair's score never
    depends on the batch it was scored in.
    """
    product = left.astype(np.float64).multiply(right.astype(np.float64)).tocsr()
    product.sort_indices()
    rows = np.repeat(np.arange(product.shape[0]), np.diff(product.indptr))
    return np.bincount(rows, product.data, product.shape[0]).astype(np.float32)
