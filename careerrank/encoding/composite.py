"""Several encoders side by side, as one: a hybrid of a dense and a lexical channel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from careerrank.encoding.protocol import Encoder
from careerrank.vectors import Vectors


class CompositeEncoder:
    """Encoders weighted ``a@0.7+b@0.3`` (weights summing to 1).

    Each part's unit vector is scaled by the square root of its weight and concatenated, so the inner
    product of two composite vectors is the weighted sum of the parts' cosines — a hybrid that the exact
    index and the incremental matcher handle unchanged.
    """

    def __init__(self, parts: Sequence[tuple[Encoder, float]], name: str) -> None:
        self._parts = [(encoder, float(np.sqrt(weight))) for encoder, weight in parts]
        self.dim = sum(encoder.dim for encoder, _ in parts)
        self.device = parts[0][0].device
        self.name = name

    def encode(self, texts: list[str]) -> Vectors:
        return np.ascontiguousarray(np.hstack([scale * e.encode(texts) for e, scale in self._parts]), np.float32)
