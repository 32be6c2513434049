"""Building the configured encoder from its name, and warming it up before it serves."""

from __future__ import annotations

import logging
import time

from careerrank.encoding.composite import CompositeEncoder
from careerrank.encoding.hashing import HashingEncoder
from careerrank.encoding.names import ModelName, parse_model_name
from careerrank.encoding.protocol import Encoder
from careerrank.encoding.sentence_transformer import SentenceTransformerEncoder, resolve_source
from careerrank.encoding.use_multilingual import UseMultilingualEncoder
from careerrank.settings import ModelSettings

log = logging.getLogger(__name__)

WARMUP_TEXTS = ["warm-up", "разогрев модели"]


def load_encoder(settings: ModelSettings) -> Encoder:
    """The encoder ``settings.name`` names (see :mod:`careerrank.encoding.names`), warmed up. Blocking."""
    encoder = build_encoder(parse_model_name(settings.name), settings)
    seconds = warm_up(encoder)
    log.info(
        "encoder ready",
        extra={"model": encoder.name, "dim": encoder.dim, "device": encoder.device, "warmup_s": round(seconds, 3)},
    )
    return encoder


def build_encoder(model: ModelName, settings: ModelSettings) -> Encoder:
    """The encoder of a parsed name, not warmed up."""
    if model.kind == "composite":
        return CompositeEncoder([(build_encoder(part, settings), weight) for part, weight in model.parts], model.id)
    if model.kind == "hashing":
        return HashingEncoder(model.dim)
    if model.kind == "use-multilingual":
        return UseMultilingualEncoder()
    return SentenceTransformerEncoder(resolve_source(model.source), settings, name=model.id)


def warm_up(encoder: Encoder) -> float:
    """Encode a couple of texts once, so that the first real batch does not pay for lazy initialisation
    (kernels, thread pools, allocator); return the seconds it took."""
    started = time.perf_counter()
    encoder.encode(list(WARMUP_TEXTS))
    return time.perf_counter() - started
