"""What every encoder is: texts in, one L2-normalised float32 row per text out (inner product is cosine).

``encode`` is blocking: callers run it on a thread of their own (the embedder's compute thread), never on
the event loop.
"""

from __future__ import annotations

from typing import Protocol

from careerrank.vectors import Vectors


class Encoder(Protocol):
    name: str  # the model id vectors are stored under
    dim: int
    device: str

    def encode(self, texts: list[str]) -> Vectors: ...
