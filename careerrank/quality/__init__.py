"""Match-quality evaluation: labelled sets, retrieval setups, metrics and the seed's table."""

from __future__ import annotations

from careerrank.quality.datasets import LabelledSet, superjob, synthetic
from careerrank.quality.report import Row, evaluate, markdown, write
from careerrank.quality.setups import EncodeCache, Setup, careful_text, dense, hybrid, seed_text, tfidf_char

__all__ = [
    "EncodeCache",
    "LabelledSet",
    "Row",
    "Setup",
    "evaluate",
    "markdown",
    "standard_setups",
    "superjob",
    "synthetic",
    "write",
]


def standard_setups(models: list[str], max_chars: int = 2000) -> list[Setup]:
    """The comparison of issue 3: the seed's method, careful dense text, lexical, and hybrids."""
    careful = careful_text(max_chars)
    setups: list[Setup] = []
    lexical = tfidf_char()
    hashing = dense("hashing-2048", "hashing-2048", "careful", careful, note="deployable lexical channel")
    setups += [lexical, hashing]
    for model in models:
        setups.append(
            dense(
                f"seed method ({model})",
                model,
                "seed",
                seed_text,
                normalise=False,
                metric="l2",
                note="columns joined, 'nan' for empty cells, IndexFlatL2 on raw vectors",
            )
        )
        cosine = dense(f"careful text ({model})", model, "careful", careful, note="title, skills, text; cosine")
        setups.append(cosine)
        setups.append(hybrid(f"hybrid ({model} + tfidf)", [(cosine, 0.5), (lexical, 0.5)]))
        setups.append(hybrid(f"hybrid ({model} + hashing)", [(cosine, 0.5), (hashing, 0.5)], note="deployable"))
    return setups
