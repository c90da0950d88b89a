"""Collaborative scores from implicit feedback: what was kept in similar listening contexts.

Two algorithms, both plain numpy, both evaluated offline on Last.fm HetRec 2011
(`bench/bench_collaborative.py`) against a popularity baseline:
- `ItemKNN`: item-item cosine similarity of the interaction matrix (Sarwar et al. 2001).
- `ImplicitALS`: matrix factorisation for implicit feedback with confidence weights
  (Hu, Koren, Volinsky 2008), solved exactly row by row (the rows here are few).

On the speaker, the "users" are *contexts*: one row per (profile, mood), so that what Alice keeps when
sad and what Bob keeps when sad inform each other (`ContextKNN`).  Household data is small and sparse,
which is where item-kNN is robust and needs no training step, so it serves at run time; ALS is the
stronger model on the big Last.fm matrix and is kept for that use (see the benchmark's figures).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class Interactions:
    """A sparse users x items matrix in CSR form (numpy only), built from (user, item, weight)."""

    def __init__(
        self, n_users: int, n_items: int, users: IntArray, items: IntArray, weights: FloatArray
    ) -> None:
        order = np.lexsort((items, users))
        self.n_users, self.n_items = n_users, n_items
        self.users = users[order].astype(np.int64)
        self.items = items[order].astype(np.int64)
        self.weights = weights[order].astype(np.float32)
        self.indptr = np.zeros(n_users + 1, np.int64)
        np.add.at(self.indptr, self.users + 1, 1)
        np.cumsum(self.indptr, out=self.indptr)

    def row(self, u: int) -> tuple[IntArray, FloatArray]:
        a, b = self.indptr[u], self.indptr[u + 1]
        return self.items[a:b], self.weights[a:b]

    def transpose(self) -> Interactions:
        return Interactions(self.n_items, self.n_users, self.items, self.users, self.weights)


def top_k_excluding(scores: FloatArray, exclude: IntArray, k: int) -> IntArray:
    """Indices of the k best scores, never one of `exclude` (already known to the user)."""
    s = scores.astype(np.float32, copy=True)
    s[exclude] = -np.inf
    k = min(k, len(s))
    idx = np.argpartition(-s, k - 1)[:k]
    return idx[np.argsort(-s[idx], kind="stable")].astype(np.int64)


class Popularity:
    """Most-listened-to items first (the baseline every recommender must beat)."""

    def fit(self, x: Interactions) -> Popularity:
        self.pop = np.bincount(x.items, minlength=x.n_items).astype(np.float32)
        return self

    def scores(self, x: Interactions, u: int) -> FloatArray:
        return self.pop


class ItemKNN:
    """Item-item cosine similarity on log-damped weights; score = sum of similarities to the user's items.

    Never builds the items x items matrix: with column-normalised weights x,
    score(u, i) = sum_v x[v, i] * (sum_j x[v, j] * x[u, j]), two sparse passes of O(nnz) each.
    """

    def fit(self, x: Interactions) -> ItemKNN:
        data = np.log1p(x.weights).astype(np.float64)
        norms = np.sqrt(np.bincount(x.items, weights=data * data, minlength=x.n_items)) + 1e-12
        self.data = (data / norms[x.items]).astype(np.float64)
        self.x = x
        return self

    def scores(self, x: Interactions, u: int) -> FloatArray:
        m = self.x
        a, b = m.indptr[u], m.indptr[u + 1]
        q = np.zeros(m.n_items, np.float64)
        q[m.items[a:b]] = self.data[a:b]
        overlap = np.bincount(m.users, weights=self.data * q[m.items], minlength=m.n_users)
        s = np.bincount(m.items, weights=self.data * overlap[m.users], minlength=m.n_items)
        return s.astype(np.float32)


class ImplicitALS:
    """Implicit-feedback ALS: confidence c = 1 + alpha*log(1 + w/eps), preference p = 1 where w > 0."""

    def __init__(
        self,
        *,
        factors: int = 48,
        regularization: float = 0.1,
        alpha: float = 10.0,
        eps: float = 1.0,
        iterations: int = 10,
        seed: int = 0,
    ) -> None:
        self.factors, self.reg, self.alpha, self.eps = factors, regularization, alpha, eps
        self.iterations, self.seed = iterations, seed

    def _confidence(self, w: FloatArray) -> FloatArray:
        c: FloatArray = (1.0 + self.alpha * np.log1p(w / self.eps)).astype(np.float32)
        return c

    def _solve(self, x: Interactions, fixed: FloatArray, out: FloatArray) -> None:
        gram = fixed.T @ fixed + self.reg * np.eye(self.factors, dtype=np.float32)
        for u in range(x.n_users):
            idx, w = x.row(u)
            if len(idx) == 0:
                out[u] = 0.0
                continue
            c = self._confidence(w)
            yi = fixed[idx]
            out[u] = np.linalg.solve(gram + (yi.T * (c - 1.0)) @ yi, yi.T @ c)

    def fit(self, x: Interactions) -> ImplicitALS:
        rng = np.random.default_rng(self.seed)
        self.user_factors = (rng.standard_normal((x.n_users, self.factors)) * 0.01).astype(np.float32)
        self.item_factors = (rng.standard_normal((x.n_items, self.factors)) * 0.01).astype(np.float32)
        xt = x.transpose()
        for _ in range(self.iterations):
            self._solve(x, self.item_factors, self.user_factors)
            self._solve(xt, self.user_factors, self.item_factors)
        return self

    def scores(self, x: Interactions, u: int) -> FloatArray:
        s: FloatArray = (self.item_factors @ self.user_factors[u]).astype(np.float32)
        return s


def recall_ndcg_at_k(
    ranked: Sequence[int] | IntArray, relevant: Iterable[int], k: int
) -> tuple[float, float]:
    """recall@k (hits / number held out) and binary NDCG@k for one user."""
    rel = set(int(r) for r in relevant)
    if not rel:
        return 0.0, 0.0
    top = [int(i) for i in list(ranked)[:k]]
    gains = [1.0 if i in rel else 0.0 for i in top]
    dcg = sum(g / math.log2(pos + 2) for pos, g in enumerate(gains))
    idcg = sum(1.0 / math.log2(pos + 2) for pos in range(min(k, len(rel))))
    return sum(gains) / len(rel), dcg / idcg


class ContextKNN:
    """Item-kNN over (profile, mood) contexts with evidence that fades by a half-life (run time).

    Evidence added at time t is stored scaled by 2^((t - t0)/half_life): all entries then fade at the
    same rate, which leaves cosine similarities unchanged, so only the relative weight of new versus
    old evidence matters, with no per-entry bookkeeping.
    """

    def __init__(self, half_life_s: float) -> None:
        self.half_life = half_life_s
        self._t0: float | None = None
        self._cells: dict[tuple[str, str], float] = {}
        self._dirty = True
        self._ctx_index: dict[str, int] = {}
        self._item_ids: list[str] = []
        self._item_index: dict[str, int] = {}
        self._m = np.zeros((0, 0), np.float32)
        self._norms = np.zeros(0, np.float32)

    def add(self, context: str, item: str, weight: float, now: float) -> None:
        if weight == 0.0:
            return
        if self._t0 is None:
            self._t0 = now
        # Halvings since the reference time.  A clock that jumps (a Pi without an RTC records feedback
        # near 1970, then NTP sets the date) must neither overflow nor let old evidence dominate.
        halvings = (now - self._t0) / self.half_life
        if halvings > 40.0:  # rebase so the numbers stay finite over years (2**40 ~ 1e12)
            shrink = 2.0 ** -min(halvings, 1000.0)
            for key in self._cells:
                self._cells[key] *= shrink
            self._t0, halvings = now, 0.0
        scale = 2.0 ** max(halvings, -1000.0)
        key = (context, item)
        self._cells[key] = self._cells.get(key, 0.0) + weight * scale
        self._dirty = True

    def forget_context(self, prefix: str) -> None:
        """Drop every context starting with `prefix` (a deleted profile)."""
        self._cells = {k: v for k, v in self._cells.items() if not k[0].startswith(prefix)}
        self._dirty = True

    def _build(self) -> None:
        ctxs = sorted({c for c, _ in self._cells})
        items = sorted({i for _, i in self._cells})
        self._ctx_index = {c: n for n, c in enumerate(ctxs)}
        self._item_ids = items
        self._item_index = {i: n for n, i in enumerate(items)}
        m = np.zeros((len(ctxs), len(items)), np.float32)
        for (c, i), v in self._cells.items():
            m[self._ctx_index[c], self._item_index[i]] = v
        np.maximum(m, 0.0, out=m)
        if m.size:
            m /= max(float(m.max()), 1e-12)
        self._m = m
        self._norms = np.sqrt((m * m).sum(axis=0)) + 1e-9
        self._dirty = False

    def scores(self, context: str) -> dict[str, float]:
        """Item -> score in 0..1 for this context (empty when the context has no evidence)."""
        if self._dirty:
            self._build()
        c = self._ctx_index.get(context)
        if c is None or not self._m.size:
            return {}
        r = self._m[c] / self._norms
        if not np.any(r > 0):
            return {}
        s = (self._m.T @ (self._m @ r)) / self._norms
        top = float(s.max())
        if top <= 0:
            return {}
        s = s / top
        return {self._item_ids[n]: float(v) for n in np.flatnonzero(s > 1e-6) for v in (s[n],)}

    def context_support(self, context: str, item: str) -> float:
        """How strongly this very context kept the item (for explanations), 0..1."""
        if self._dirty:
            self._build()
        c, i = self._ctx_index.get(context), self._item_index.get(item)
        if c is None or i is None:
            return 0.0
        return float(self._m[c, i])

    def others_support(self, context: str, item: str) -> float:
        """How strongly another profile kept the item, in any mood (0..1; the explanation's "others
        in the household"): the scores of `scores` come from this context's own evidence as well, so
        a listener alone in the house was told that others keep what only she kept."""
        if self._dirty:
            self._build()
        i = self._item_index.get(item)
        if i is None:
            return 0.0
        own = context.split("|", 1)[0] + "|"
        rows = [n for c, n in self._ctx_index.items() if not c.startswith(own)]
        return float(self._m[rows, i].max()) if rows else 0.0


def item_weights(scores: Mapping[str, float], index: Mapping[str, int], n: int) -> FloatArray:
    """Scatter an item -> score mapping into a dense vector over the catalogue rows."""
    out = np.zeros(n, np.float32)
    for item, s in scores.items():
        row = index.get(item)
        if row is not None:
            out[row] = s
    return out
