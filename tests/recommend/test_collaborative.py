"""Collaborative scorers on small data with a known answer, and the ranking metrics."""

from __future__ import annotations

import numpy as np
import pytest

from moodspeaker.recommend.collaborative import (
    ContextKNN,
    ImplicitALS,
    Interactions,
    ItemKNN,
    Popularity,
    recall_ndcg_at_k,
    top_k_excluding,
)


def _two_tribes(seed: int = 0) -> Interactions:
    """Users 0-19 listen to items 0-9, users 20-39 to items 10-19; item 20 is liked by everyone."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(40):
        block = range(0, 10) if u < 20 else range(10, 20)
        for i in rng.choice(list(block), size=6, replace=False):
            users.append(u)
            items.append(int(i))
        users.append(u)
        items.append(20)
    return Interactions(40, 21, np.array(users), np.array(items), np.ones(len(users), np.float32) * 5)


@pytest.mark.parametrize("model", [ItemKNN(), ImplicitALS(factors=8, iterations=8, alpha=5.0)])
def test_recommends_from_the_users_own_tribe(model: ItemKNN | ImplicitALS) -> None:
    x = _two_tribes()
    model.fit(x)
    for u in (3, 27):
        known, _ = x.row(u)
        top = top_k_excluding(model.scores(x, u), known, 3)
        tribe = set(range(0, 10)) if u < 20 else set(range(10, 20))
        assert set(top.tolist()) <= tribe, (u, top)
        assert not set(top.tolist()) & set(known.tolist())


def test_popularity_ranks_the_common_item_first() -> None:
    x = _two_tribes()
    assert int(np.argmax(Popularity().fit(x).scores(x, 0))) == 20


def test_metrics() -> None:
    r, n = recall_ndcg_at_k([5, 1, 2], [1], 10)
    assert r == 1.0 and n == pytest.approx(1 / np.log2(3))
    assert recall_ndcg_at_k([5, 6], [1, 2], 2) == (0.0, 0.0)
    r, n = recall_ndcg_at_k([1, 2, 3], [1, 2], 3)
    assert r == 1.0 and n == pytest.approx(1.0)
    assert recall_ndcg_at_k([1], [], 10) == (0.0, 0.0)


def test_context_knn_shares_what_the_household_keeps_in_a_mood() -> None:
    knn = ContextKNN(half_life_s=14 * 86400)
    t = 0.0
    for item in ("a", "b", "c"):
        knn.add("alice|sad", item, 1.0, t)
    for item in ("a", "b", "d"):
        knn.add("bob|sad", item, 1.0, t)
    knn.add("bob|happy", "x", 1.0, t)
    s = knn.scores("alice|sad")
    assert s["d"] > 0  # Bob keeps d with the same tracks Alice keeps when sad
    assert "x" not in s  # nothing links x to Alice's sad listening
    assert knn.context_support("alice|sad", "a") == pytest.approx(1.0)
    knn.forget_context("bob|")
    assert "d" not in knn.scores("alice|sad")
    assert knn.scores("nobody|sad") == {}


def test_context_knn_newer_evidence_weighs_more() -> None:
    knn = ContextKNN(half_life_s=1.0)
    knn.add("p|sad", "old", 1.0, 0.0)
    knn.add("p|sad", "new", 1.0, 10.0)  # ten half-lives later
    assert knn.context_support("p|sad", "new") == pytest.approx(1.0)
    assert knn.context_support("p|sad", "old") < 0.01
