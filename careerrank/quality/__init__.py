"""Match-quality evaluation: labelled sets, retrieval setups, metrics and the seed's table."""

from __future__ import annotations

from careerrank.encoders import model_id
from careerrank.quality.datasets import LabelledSet, superjob, synthetic
from careerrank.quality.report import Row, evaluate, markdown, write
from careerrank.quality.setups import EncodeCache, Setup, careful_text, dense, hybrid, seed_text, tfidf_char
from careerrank.settings import ModelSettings

__all__ = [
    "PIPELINE_DEFAULT",
    "EncodeCache",
    "LabelledSet",
    "Row",
    "Setup",
    "evaluate",
    "gains_over_seed",
    "markdown",
    "standard_setups",
    "superjob",
    "synthetic",
    "write",
]


PIPELINE_DEFAULT = "[pipeline default]"


def gains_over_seed(rows: list[Row]) -> list[dict[str, object]]:
    """Precision@10 of the pipeline's default setup minus each seed-method row's, both directions."""
    default = next((r for r in rows if r.setup.endswith(PIPELINE_DEFAULT)), None)
    if default is None:
        return []
    return [
        {
            "baseline": r.setup,
            "cvs_for_vacancy": round(default.cvs_for_vacancy - r.cvs_for_vacancy, 3),
            "vacancies_for_cv": round(default.vacancies_for_cv - r.vacancies_for_cv, 3),
        }
        for r in rows
        if r.setup.startswith("seed method")
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
        # The pipeline embeds exactly this text (careerrank.texts.embedding_text) and ranks by cosine.
        pipeline = model_id(ModelSettings(name=model)) == model_id(ModelSettings(name="default"))
        name = f"careful text ({model})" + (f" {PIPELINE_DEFAULT}" if pipeline else "")
        cosine = dense(name, model, "careful", careful, note="title, skills, text; cosine")
        setups.append(cosine)
        setups.append(hybrid(f"hybrid ({model} + tfidf)", [(cosine, 0.5), (lexical, 0.5)]))
        setups.append(hybrid(f"hybrid ({model} + hashing)", [(cosine, 0.5), (hashing, 0.5)], note="deployable"))
    return setups
