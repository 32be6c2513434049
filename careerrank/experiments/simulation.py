"""Simulated recruiters for sizing and checking experiments, without services.

An impression is a recruiter opening one vacancy's list: ``pool`` candidates, each relevant with probability
``relevant``; a ranker scores them ``strength × relevant + N(0, 1)`` and shows its top ``shown``. The recruiter
examines position ``p`` (0 first) with probability ``1 / (1 + p) ** decay`` and invites an examined relevant
candidate with probability ``invite`` (never an irrelevant one). A stronger ranker puts more relevant candidates
where they are examined, so it draws more invitations per shown candidate: :func:`strength_for_effect` finds the
strength whose expected invite rate is ``1 + effect`` times another's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from careerrank.experiments.ab_test import Arm
from careerrank.experiments.interleaving import credit, team_draft


@dataclass(frozen=True, slots=True)
class Market:
    pool: int = 40
    shown: int = 10
    relevant: float = 0.3
    invite: float = 0.5
    decay: float = 0.7

    def examined(self) -> np.ndarray:
        return 1.0 / (1.0 + np.arange(self.shown)) ** self.decay


def _pools(market: Market, impressions: int, rng: np.random.Generator) -> np.ndarray:
    return (rng.random((impressions, market.pool)) < market.relevant).astype(np.float64)


def _ranked(relevant: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    scores = strength * relevant + rng.normal(size=relevant.shape)
    order: np.ndarray = np.argsort(-scores, axis=1, kind="stable")
    return order


def _invited(market: Market, relevant_shown: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    chance = relevant_shown * market.invite * market.examined()[: relevant_shown.shape[1]]
    invited: np.ndarray = rng.random(relevant_shown.shape) < chance
    return invited


def invite_rate(market: Market, strength: float, impressions: int = 100_000, seed: int = 0) -> float:
    """The expected invitations per shown candidate of a ranker of ``strength`` (Monte Carlo)."""
    rng = np.random.default_rng(seed)
    relevant = _pools(market, impressions, rng)
    top = _ranked(relevant, strength, rng)[:, : market.shown]
    return float(_invited(market, np.take_along_axis(relevant, top, 1), rng).mean())


def strength_for_effect(market: Market, base: float, effect: float) -> float:
    """The strength whose invite rate is ``(1 + effect)`` times that of ``base`` (bisection, common numbers)."""
    target = invite_rate(market, base) * (1 + effect)
    low, high = base, base + 10.0
    for _ in range(20):
        middle = (low + high) / 2
        low, high = (middle, high) if invite_rate(market, middle) < target else (low, middle)
    return (low + high) / 2


def ab_test(market: Market, a: float, b: float, impressions: int, seed: int) -> tuple[Arm, Arm]:
    """Half the impressions ranked by ``a``, half by ``b`` (as employers split between variants)."""
    rng = np.random.default_rng(seed)
    arms = []
    for name, strength in (("a", a), ("b", b)):
        relevant = _pools(market, impressions // 2, rng)
        top = _ranked(relevant, strength, rng)[:, : market.shown]
        invited = _invited(market, np.take_along_axis(relevant, top, 1), rng)
        arms.append(Arm(name, invited.size, int(invited.sum())))
    return arms[0], arms[1]


def interleaved_test(market: Market, a: float, b: float, impressions: int, seed: int) -> list[str | None]:
    """Every impression shows the team-draft merge of both rankers' lists; the winner of each."""
    rng = np.random.default_rng(seed)
    coin = random.Random(seed)
    relevant = _pools(market, impressions, rng)
    by_a, by_b = _ranked(relevant, a, rng), _ranked(relevant, b, rng)
    winners: list[str | None] = []
    for i in range(impressions):
        merged = team_draft([str(j) for j in by_a[i]], [str(j) for j in by_b[i]], market.shown, coin)
        shown = np.array([relevant[i, int(j)] for j in merged.rows])[None, :]
        invited = _invited(market, shown, rng)[0]
        winners.append(credit(merged, [row for row, yes in zip(merged.rows, invited.tolist(), strict=True) if yes]))
    return winners
