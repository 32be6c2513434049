"""Sampled negatives: repeatable, never a pair that was decided or proposed, as many as asked where there are."""

from __future__ import annotations

from careerrank.scoring.sampled_negatives import draw


def test_the_draw_avoids_the_excluded_and_is_repeatable() -> None:
    pool = [f"r{i}" for i in range(50)]
    excluded = {"v1": {f"r{i}" for i in range(40)}, "v2": set()}
    pairs = draw(["v1", "v2"], pool, excluded, per_item=5, seed=3)
    assert len(pairs) == 10
    assert all(r not in excluded[v] for v, r in pairs)
    assert pairs == draw(["v2", "v1"], list(reversed(pool)), excluded, per_item=5, seed=3)
    assert pairs != draw(["v1", "v2"], pool, excluded, per_item=5, seed=4)


def test_an_item_gets_what_is_available() -> None:
    pairs = draw(["v"], ["a", "b", "c"], {"v": {"a"}}, per_item=10)
    assert sorted(r for _, r in pairs) == ["b", "c"]
    assert draw(["v"], ["a"], {"v": {"a"}}) == []


def test_with_occupations_only_another_family_is_drawn() -> None:
    occupations = {
        "php": {"dev_php"},
        "admin": {"sysadmin"},
        "web": {"dev_web"},
        "accountant": {"accountant"},
        "unknown": set(),
        "nobody": set(),
    }
    pool = ["admin", "web", "accountant", "unknown"]
    pairs = draw(["php", "nobody"], pool, {}, per_item=10, occupations=occupations)
    # a web developer is of the PHP developer's family, and an unknown occupation is no proof of another
    assert sorted(r for v, r in pairs if v == "php") == ["accountant", "admin"]
    # an item of no known occupation draws from everything outside its candidates
    assert sorted(r for v, r in pairs if v == "nobody") == sorted(pool)


def test_an_item_decided_once_brings_one_presumed_rejection() -> None:
    pool = [f"r{i}" for i in range(30)]
    pairs = draw(["once", "often"], pool, {}, per_item=10, decided={"once": 1, "often": 25})
    assert sum(v == "once" for v, _ in pairs) == 1
    assert sum(v == "often" for v, _ in pairs) == 10
