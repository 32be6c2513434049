"""Which variant of an experiment an employer's recruiters see: a hash of the employer id and the experiment name.

Invariants: the assignment is a pure function of (employer, experiment, variants, weights), the same in every
process and release; a new experiment reshuffles employers independently of every other (its name is in the
hash); the shares of a large population approach the weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

BUCKETS = 10_000


def bucket(employer_id: str, experiment: str) -> int:
    """The employer's bucket in ``[0, BUCKETS)`` for this experiment."""
    digest = hashlib.sha256(f"{experiment}\x00{employer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def variant(employer_id: str, experiment: str, variants: Sequence[str], weights: Sequence[float] | None = None) -> str:
    """The variant the employer is assigned to (equal shares unless ``weights`` are given)."""
    if not variants:
        raise ValueError("an experiment needs at least one variant")
    shares = list(weights) if weights is not None else [1.0] * len(variants)
    if len(shares) != len(variants) or any(w < 0 for w in shares) or sum(shares) <= 0:
        raise ValueError("one non-negative weight per variant, not all zero")
    point = bucket(employer_id, experiment) / BUCKETS * sum(shares)
    edge = 0.0
    for name, share in zip(variants, shares, strict=True):
        edge += share
        if point < edge:
            return name
    return variants[-1]
