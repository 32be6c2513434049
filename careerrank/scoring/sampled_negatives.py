"""Negatives no recruiter had to judge: pairs drawn from far outside an item's candidates, presumed rejections.

SuperJob's scorer learned from what recruiters rejected at once, mostly applications from another profession. The
decisions CareerRank learns from are on candidates the matcher proposed, near the top of a similarity ranking:
a model fitted to them alone has hardly seen an accountant next to a system administrator, and may call both
suitable for a PHP developer's post. So each decided item gets as many items of the other kind as it has
decisions, up to :data:`PER_ITEM` (an item decided once does not bring ten presumed rejections), drawn
uniformly from those of another occupation family (:mod:`careerrank.scoring.occupations`: no occupation of one
fits any of the other's, both known), outside its top candidates and never decided with it, labelled "not
invited" and trained on at :data:`WEIGHT` (a decision weighs 1). An item whose titles name no known occupation
draws from everything outside its candidates.

Invariants: the draw is a function of the seed and the inputs (not of their order); a drawn pair is never one
in ``excluded`` (the item's top candidates and its decided pairs), nor, where both occupations are known, of
fitting occupations; an item gets ``min(per_item, available)``.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence

from careerrank.scoring.occupations import fit

PER_ITEM = 10
WEIGHT = 0.5


def draw(
    items: Sequence[str],
    pool: Sequence[str],
    excluded: Mapping[str, Collection[str]],
    per_item: int = PER_ITEM,
    seed: int = 0,
    occupations: Mapping[str, Collection[str]] | None = None,
    decided: Mapping[str, int] | None = None,
) -> list[tuple[str, str]]:
    """``(item, other)`` pairs: for each item, ``per_item`` (at most ``decided[item]``, where given) of ``pool``
    outside ``excluded[item]`` and, with ``occupations`` (an id's occupation codes, titles and positions held), of
    another occupation family."""
    ordered = sorted(set(pool))
    known = occupations or {}
    out: list[tuple[str, str]] = []
    for item in sorted(set(items)):
        skip = excluded.get(item, ())
        mine = known.get(item, ())
        choices = [other for other in ordered if other not in skip and (not mine or _another(mine, known.get(other)))]
        rng = random.Random(f"{seed}:{item}")
        wanted = min(per_item, decided[item]) if decided is not None else per_item
        out.extend((item, other) for other in rng.sample(choices, min(wanted, len(choices))))
    return out


def _another(mine: Collection[str], theirs: Collection[str] | None) -> bool:
    """Both sides name known occupations, and none of one fits any of the other's."""
    return bool(theirs) and all(fit(a, b) == 0 for a in mine for b in theirs or ())
