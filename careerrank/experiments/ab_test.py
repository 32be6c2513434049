"""An A/B test of invite rates per shown candidate: the two-sided two-proportion z-test, the sample size a stated
minimal effect needs, and the time to the first invite (statsmodels and scipy, as the field computes them).

The unit of exposure is a shown candidate; recruiters' decisions on one list are not independent, so the
report also states how many employers each variant had, and the sample size is for shown candidates at the
stated baseline rate (a design effect above 1 asks for more).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True, slots=True)
class Arm:
    """One variant's exposures: shown candidates, invitations among them, employers, hours to the first invite."""

    name: str
    shown: int
    invited: int
    employers: int = 0
    hours_to_first_invite: tuple[float, ...] = ()

    @property
    def rate(self) -> float:
        return self.invited / self.shown if self.shown else float("nan")


def sample_size(baseline: float, relative_effect: float, alpha: float = ALPHA, power: float = POWER) -> int:
    """Shown candidates per arm to detect ``baseline × (1 + relative_effect)`` with a two-sided test."""
    effect = abs(proportion_effectsize(baseline * (1 + relative_effect), baseline))
    return int(np.ceil(NormalIndPower().solve_power(effect, alpha=alpha, power=power, ratio=1.0)))


def ab_report(control: Arm, treatment: Arm, alpha: float = ALPHA, minimal_effect: float = 0.2) -> dict[str, Any]:
    """The test of ``treatment`` against ``control`` at level ``alpha``, and whether enough was shown yet."""
    if not control.shown or not treatment.shown:
        raise ValueError("both arms need shown candidates")
    _, p_value = proportions_ztest([treatment.invited, control.invited], [treatment.shown, control.shown])
    needed = sample_size(control.rate, minimal_effect, alpha) if 0 < control.rate < 1 else None
    significant = bool(p_value < alpha)
    report: dict[str, Any] = {
        "arms": {
            arm.name: {
                "shown": arm.shown,
                "invited": arm.invited,
                "invite_rate": round(arm.rate, 5),
                "employers": arm.employers,
            }
            for arm in (control, treatment)
        },
        "relative_effect": round(treatment.rate / control.rate - 1, 4) if control.rate else None,
        "p_value": float(p_value),
        "alpha": alpha,
        "significant": significant,
        "needed_per_arm": needed,
        "minimal_effect": minimal_effect,
    }
    if control.hours_to_first_invite and treatment.hours_to_first_invite:
        _, p_time = mannwhitneyu(treatment.hours_to_first_invite, control.hours_to_first_invite)
        report["hours_to_first_invite"] = {
            arm.name: round(float(np.median(arm.hours_to_first_invite)), 2) for arm in (control, treatment)
        } | {"p_value": float(p_time)}
    enough = needed is not None and min(control.shown, treatment.shown) >= needed
    report["conclusion"] = (
        f"{treatment.name} {'raises' if treatment.rate > control.rate else 'lowers'} the invite rate"
        if significant
        else "no difference at this size"
        if enough
        else "not significant yet"
    )
    return report
