"""A model-free encoder: character n-gram feature hashing."""

from __future__ import annotations

import re
import zlib

import numpy as np

from careerrank.vectors import Vectors, normalise


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
