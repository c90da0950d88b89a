"""Ranking one queue position: score a candidate pool, then take the best allowed track.

Pure apart from the optional `exists` callback (a LAN track can vanish between plans).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from moodspeaker.recommend.source import CatalogueView

#: Tracks nearest to a target that are scored in full (the rest cannot win on content).
POOL = 256


def ranked(
    view: CatalogueView,
    d2: npt.NDArray[np.float32] | None,
    mask: npt.NDArray[np.bool_],
    collab: npt.NDArray[np.float32],
    collab_rows: npt.NDArray[np.intp],
    *,
    alpha: float,
    now: float,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Candidate rows, best first, with their scores alpha*content + (1-alpha)*collaborative.

    Only the POOL nearest allowed tracks (plus every track with collaborative evidence) are
    scored in full: the kernel is monotone in the distance, so nothing outside can win on
    content, and the full-catalogue work stays at one distance pass (~1 ms per 100k tracks).
    A tiny jitter seeded by the time breaks ties reproducibly.
    """
    rng = np.random.default_rng(int(now) & 0xFFFFFFFF)
    usable = mask & view.analysed
    if d2 is None or not usable.any():
        # No aim at all (nothing analysed, or no mood and no history): a reproducible shuffle.
        allowed = np.flatnonzero(mask if not usable.any() else usable)
        pool = rng.permutation(allowed)[:POOL]
        pool = np.union1d(pool, collab_rows[mask[collab_rows]])
        content = np.full(len(pool), 0.5)
    else:
        dm = np.where(usable, d2, np.inf)
        n = min(POOL, int(usable.sum()))
        pool = np.argpartition(dm, n - 1)[:n]
        pool = np.union1d(pool, collab_rows[usable[collab_rows]])
        content = np.exp(-0.5 * np.maximum(d2[pool] - float(dm[pool].min()), 0.0))
    scores = (alpha * content + (1 - alpha) * collab[pool] + 1e-4 * rng.random(len(pool))).astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    return pool[order].astype(np.intp), scores[order]


def best(
    candidates: npt.NDArray[np.intp],
    mask: npt.NDArray[np.bool_],
    taken: set[int],
    view: CatalogueView,
    *,
    prev_artist: int | None,
    exists: Callable[[str], bool] | None = None,
) -> int | None:
    """Best allowed row, not the previous artist when avoidable, still present in the source."""
    fallback = None
    for c in candidates:
        r = int(c)
        if r in taken or not mask[r]:
            continue
        if exists is not None and not exists(view.ids[r]):
            mask[r] = False  # vanished since the catalogue was read
            continue
        if prev_artist is not None and int(view.artists[r]) == prev_artist:
            fallback = r if fallback is None else fallback
            continue
        return r
    return fallback
