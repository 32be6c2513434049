"""Negatives no recruiter had to judge: pairs drawn from far outside an item's candidates, presumed rejections.

SuperJob's scorer learned from what recruiters rejected at once, mostly applications from another profession. The
decisions CareerRank learns from are on candidates the matcher proposed, near the top of a similarity ranking:
a model fitted to them alone has hardly seen an accountant next to a system administrator, and may call both
suitable for a PHP developer's post. So each decided item gets :data:`PER_ITEM` items of the other kind, drawn
uniformly from those outside its top candidates and never decided with it, labelled "not invited" and trained
on at :data:`WEIGHT` (a decision weighs 1): a few are relevant after all, and the weight keeps them from
outvoting the recruiters.

Invariants: the draw is a function of the seed and the inputs (not of their order); a drawn pair is never one
in ``excluded`` (the item's top candidates and its decided pairs); an item gets ``min(per_item, available)``.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence

PER_ITEM = 10
WEIGHT = 0.5


def draw(
    items: Sequence[str],
    pool: Sequence[str],
    excluded: Mapping[str, Collection[str]],
    per_item: int = PER_ITEM,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """``(item, other)`` pairs: for each item, ``per_item`` of ``pool`` outside ``excluded[item]``."""
    ordered = sorted(set(pool))
    out: list[tuple[str, str]] = []
    for item in sorted(set(items)):
        skip = excluded.get(item, ())
        choices = [other for other in ordered if other not in skip]
        rng = random.Random(f"{seed}:{item}")
        out.extend((item, other) for other in rng.sample(choices, min(per_item, len(choices))))
    return out
