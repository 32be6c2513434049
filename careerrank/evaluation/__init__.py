"""Match-quality evaluation: labelled sets, retrieval setups, metrics and the prototype's table."""

from careerrank.evaluation.datasets import LabelledSet, superjob, synthetic
from careerrank.evaluation.metrics import evaluate_direction, top_k
from careerrank.evaluation.report import Row, evaluate, gains_over_prototype, markdown, write
from careerrank.evaluation.setups import (
    PIPELINE_DEFAULT,
    EncodeCache,
    Setup,
    careful_text,
    dense,
    hybrid,
    prototype_text,
    standard_setups,
    tfidf_char,
)

__all__ = [
    "PIPELINE_DEFAULT",
    "EncodeCache",
    "LabelledSet",
    "Row",
    "Setup",
    "careful_text",
    "dense",
    "evaluate",
    "evaluate_direction",
    "gains_over_prototype",
    "hybrid",
    "markdown",
    "prototype_text",
    "standard_setups",
    "superjob",
    "synthetic",
    "tfidf_char",
    "top_k",
    "write",
]
