"""How the experiments behave on simulated recruiters (:mod:`careerrank.experiments.simulation`): what
``scripts/bench_experiments.py`` prints and the tests hold to.

- The A/B test's size is planned for the effect at level 0.05 and power 0.8 (:func:`careerrank.experiments.
  ab_test.sample_size`); at that size, the share of seeds that detect the real effect (its power) and the share
  of A/A tests (one ranker in both arms) called significant (its false alarms).
- Team-draft interleaving of the same two rankers: the share of seeds that detect the better one at a ladder of
  impression counts, and the fewest impressions with a detection share of 0.8, against the A/B test's.
"""

from __future__ import annotations

import math
from typing import Any

from careerrank.experiments.ab_test import ALPHA, POWER, ab_report, sample_size
from careerrank.experiments.interleaving import interleaving_report
from careerrank.experiments.simulation import Market, ab_test, interleaved_test, invite_rate, strength_for_effect

BASE = 0.5  # the weaker ranker's strength
LADDER = (40, 80, 160, 320, 640, 1280)


def experiment_power(effect: float = 0.2, seeds: int = 400, market: Market | None = None) -> dict[str, Any]:
    market = market or Market()
    better = strength_for_effect(market, BASE, effect)
    baseline = invite_rate(market, BASE)
    shown_per_arm = sample_size(baseline, effect)
    impressions = 2 * math.ceil(shown_per_arm / market.shown)

    def ab_detects(a: float, b: float, seed: int) -> bool:
        return bool(ab_report(*ab_test(market, a, b, impressions, seed), minimal_effect=effect)["significant"])

    power = sum(ab_detects(BASE, better, s) for s in range(seeds)) / seeds
    false_alarms = sum(ab_detects(BASE, BASE, 10_000 + s) for s in range(seeds)) / seeds

    def interleaving_detects(count: int, seed: int) -> bool:
        report = interleaving_report(interleaved_test(market, BASE, better, count, seed))
        return bool(report["significant"] and report["preference_for_b"] > 0)

    interleaving = {}
    for count in LADDER:
        interleaving[count] = round(sum(interleaving_detects(count, s) for s in range(seeds // 2)) / (seeds // 2), 4)
    enough = min((c for c, share in interleaving.items() if share >= POWER), default=None)
    return {
        "market": {"pool": market.pool, "shown": market.shown, "relevant": market.relevant, "invite": market.invite},
        "effect": effect,
        "invite_rates": {"a": round(baseline, 5), "b": round(invite_rate(market, better), 5)},
        "ab": {
            "alpha": ALPHA,
            "planned_power": POWER,
            "shown_per_arm": shown_per_arm,
            "impressions": impressions,
            "seeds": seeds,
            "detected_share": round(power, 4),
            "aa_significant_share": round(false_alarms, 4),
        },
        "interleaving": {
            "detected_share_by_impressions": interleaving,
            "impressions_for_power": enough,
            "fewer_impressions_than_ab": round(impressions / enough, 1) if enough else None,
        },
    }
