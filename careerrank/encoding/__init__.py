"""Texts to vectors: what the encoder sees of an item, the encoders, token batching, loading by name."""

from careerrank.encoding.composite import CompositeEncoder
from careerrank.encoding.hashing import HashingEncoder
from careerrank.encoding.loading import build_encoder, load_encoder, warm_up
from careerrank.encoding.names import DEFAULT_MODEL_ID, MINILM, ModelName, model_id, parse_model_name
from careerrank.encoding.protocol import Encoder
from careerrank.encoding.sentence_transformer import SentenceTransformerEncoder, text_prefix_for, torch_dtype
from careerrank.encoding.texts import compose_text, embedding_text, text_hash, truncate
from careerrank.encoding.use_multilingual import USE_MULTILINGUAL, UseMultilingualEncoder

__all__ = [
    "DEFAULT_MODEL_ID",
    "MINILM",
    "USE_MULTILINGUAL",
    "CompositeEncoder",
    "Encoder",
    "HashingEncoder",
    "ModelName",
    "SentenceTransformerEncoder",
    "UseMultilingualEncoder",
    "build_encoder",
    "compose_text",
    "embedding_text",
    "load_encoder",
    "model_id",
    "parse_model_name",
    "text_hash",
    "text_prefix_for",
    "torch_dtype",
    "truncate",
    "warm_up",
]
