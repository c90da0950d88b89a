"""Offline evaluation of the collaborative scorers on Last.fm HetRec 2011 (prints figures).

Protocol: users with at least 5 artists; 20% of each user's artists (at least one) are held out at
random (seed fixed); models are fit on the rest; every artist the user already has in training is
excluded from the ranking; recall@10 = held-out hits in the top 10 / number held out; NDCG@10 with
binary relevance.  Baselines: popularity (most listeners) and item-kNN (cosine, all neighbours);
ours at run time is item-kNN over household (profile, mood) contexts, and implicit ALS
(Hu, Koren, Volinsky 2008) is the stronger model for a matrix of this size.

    python bench/bench_collaborative.py --data ../shared/datasets [--json] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from moodspeaker.recommend.collaborative import (
    FloatArray,
    ImplicitALS,
    Interactions,
    ItemKNN,
    Popularity,
    recall_ndcg_at_k,
    top_k_excluding,
)

K = 10


def load_user_artists(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """user_artists.dat: tab-separated userID, artistID, weight; ISO-8859-1 with CRLF line ends."""
    path = folder / "user_artists.dat"
    users, items, weights = [], [], []
    with open(path, encoding="iso-8859-1", newline="") as fh:
        header = fh.readline()
        if "userID" not in header:
            raise ValueError(f"{path}: unexpected header {header.strip()!r}")
        for n, line in enumerate(fh, start=2):
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 3:
                if line.strip():
                    print(f"{path}:{n}: skipped malformed line", file=sys.stderr)
                continue
            users.append(int(parts[0]))
            items.append(int(parts[1]))
            weights.append(float(parts[2]))
    return np.array(users), np.array(items), np.array(weights, np.float32)


def split(
    users: np.ndarray, items: np.ndarray, weights: np.ndarray, share: float, seed: int
) -> tuple[Interactions, dict[int, np.ndarray], int, int]:
    """Re-index, keep users with >= 5 artists, hold out `share` of each user's artists."""
    uid = {u: n for n, u in enumerate(np.unique(users))}
    iid = {i: n for n, i in enumerate(np.unique(items))}
    u = np.array([uid[x] for x in users])
    i = np.array([iid[x] for x in items])
    rng = np.random.default_rng(seed)
    train = np.ones(len(u), bool)
    held: dict[int, np.ndarray] = {}
    for user in range(len(uid)):
        rows = np.flatnonzero(u == user)
        if len(rows) < 5:
            continue
        n_out = max(1, round(share * len(rows)))
        out = rng.choice(rows, size=n_out, replace=False)
        train[out] = False
        held[user] = i[out]
    x = Interactions(len(uid), len(iid), u[train], i[train], weights[train])
    return x, held, len(uid), len(iid)


#: Last.fm tags that name a listening mood, grouped like the speaker's mood contexts.
MOOD_TAGS: dict[str, str] = {
    **dict.fromkeys(("chill", "chillout", "relax", "relaxing", "mellow", "calm"), "calm"),
    **dict.fromkeys(("sad", "melancholic", "melancholy", "depressing", "dark"), "sad"),
    **dict.fromkeys(
        ("happy", "fun", "feel good", "uplifting", "upbeat", "party", "energetic", "dance"), "happy"
    ),
    **dict.fromkeys(("love", "romantic", "sexy", "beautiful"), "tender"),
    **dict.fromkeys(("aggressive", "angry"), "angry"),
}


def _read_tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="iso-8859-1", newline="") as fh:
        fh.readline()
        return [line.rstrip("\r\n").split("\t") for line in fh if line.strip()]


def mood_contexts(folder: Path) -> dict[tuple[int, str], set[int]]:
    """(user, mood group) -> artists the user tagged with a tag of that mood (user_taggedartists.dat)."""
    tags = {int(r[0]): r[1].strip().lower() for r in _read_tsv(folder / "tags.dat") if len(r) >= 2}
    out: dict[tuple[int, str], set[int]] = {}
    for r in _read_tsv(folder / "user_taggedartists.dat"):
        if len(r) < 3:
            continue
        group = MOOD_TAGS.get(tags.get(int(r[2]), ""))
        if group:
            out.setdefault((int(r[0]), group), set()).add(int(r[1]))
    return out


def evaluate_contexts(folder: Path, seed: int) -> dict[str, Any]:
    """Leave one artist out of every (user, mood) context with >= 3 artists; rank all artists.

    popularity_in_mood: most tagged with that mood by anyone; context_knn: item-kNN whose rows are
    (user, mood) contexts (what the speaker runs on household profiles x moods); listening_knn:
    item-kNN on the user's plays, blind to the mood; blend: both, as R = a*ctx + (1-a)*listening.
    """
    contexts = mood_contexts(folder)
    users, items, weights = load_user_artists(folder)
    artist_ids = sorted(set(items.tolist()) | {a for arts in contexts.values() for a in arts})
    aid = {a: n for n, a in enumerate(artist_ids)}
    uid = {u: n for n, u in enumerate(np.unique(users))}
    rng = np.random.default_rng(seed)
    keys = sorted(contexts)
    held: dict[int, int] = {}
    rows_u, rows_i = [], []
    for c, key in enumerate(keys):
        arts = sorted(contexts[key])
        out = int(rng.choice(arts)) if len(arts) >= 3 else None
        if out is not None:
            held[c] = aid[out]
        for a in arts:
            if a != out:
                rows_u.append(c)
                rows_i.append(aid[a])
    n_items = len(artist_ids)
    ctx = Interactions(
        len(keys), n_items, np.array(rows_u), np.array(rows_i), np.ones(len(rows_u), np.float32)
    )
    listening = Interactions(
        len(uid), n_items, np.array([uid[u] for u in users]), np.array([aid[i] for i in items]), weights
    )
    ctx_knn, listen_knn = ItemKNN().fit(ctx), ItemKNN().fit(listening)
    group_pop: dict[str, np.ndarray] = {}
    for c, key in enumerate(keys):
        known, _ = ctx.row(c)
        pop = group_pop.setdefault(key[1], np.zeros(n_items, np.float32))
        pop[known] += 1.0
    scores: dict[str, list[tuple[float, float]]] = {
        "popularity_in_mood": [], "listening_knn": [], "context_knn": [], "blend": []
    }  # fmt: skip

    def norm(s: FloatArray) -> FloatArray:
        return s / max(float(s.max()), 1e-9)

    for c, target in held.items():
        user, group = keys[c]
        known, _ = ctx.row(c)
        s_ctx = ctx_knn.scores(ctx, c)
        s_listen = listen_knn.scores(listening, uid[user]) if user in uid else np.zeros(n_items, np.float32)
        blend: FloatArray = 0.5 * norm(s_ctx) + 0.5 * norm(s_listen)
        for name, sc in (
            ("popularity_in_mood", group_pop[group]),
            ("listening_knn", s_listen),
            ("context_knn", s_ctx),
            ("blend", blend),
        ):
            scores[name].append(recall_ndcg_at_k(top_k_excluding(sc, known, K), [target], K))
    return {
        "contexts_evaluated": len(held),
        "mood_groups": sorted({g for _, g in keys}),
        "results": {
            name: {
                "hit_rate@10": round(float(np.mean([r for r, _ in v])), 4),
                "ndcg@10": round(float(np.mean([n for _, n in v])), 4),
            }
            for name, v in scores.items()
        },
    }


def evaluate(model: Any, x: Interactions, held: dict[int, np.ndarray]) -> tuple[float, float, float]:
    recalls, ndcgs = [], []
    t = time.perf_counter()
    for user, relevant in held.items():
        known, _ = x.row(user)
        ranked = top_k_excluding(model.scores(x, user), known, K)
        r, n = recall_ndcg_at_k(ranked, relevant, K)
        recalls.append(r)
        ndcgs.append(n)
    ms = (time.perf_counter() - t) / max(1, len(held)) * 1000
    return float(np.mean(recalls)), float(np.mean(ndcgs)), ms


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MOODSPEAKER_DATA", ""), help="datasets folder")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--quick", action="store_true", help="fewer ALS iterations (smoke run)")
    ap.add_argument("--holdout", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    folder = Path(args.data) / "lastfm-hetrec2011"
    if not (folder / "user_artists.dat").is_file():
        print(
            f"Last.fm HetRec 2011 not found under {folder} (use --data or MOODSPEAKER_DATA)", file=sys.stderr
        )
        return 2
    x, held, n_users, n_items = split(*load_user_artists(folder), args.holdout, args.seed)
    models: dict[str, Any] = {
        "popularity": Popularity(),
        "item_knn": ItemKNN(),
        "implicit_als": ImplicitALS(factors=48, iterations=3 if args.quick else 10),
    }
    results: dict[str, dict[str, float]] = {}
    for name, model in models.items():
        t = time.perf_counter()
        model.fit(x)
        fit_s = time.perf_counter() - t
        recall, ndcg, ms = evaluate(model, x, held)
        results[name] = {
            "recall@10": round(recall, 4),
            "ndcg@10": round(ndcg, 4),
            "fit_s": round(fit_s, 2),
            "ms_per_user": round(ms, 2),
        }
    base = results["popularity"]
    for r in results.values():
        r["recall_vs_popularity"] = round(r["recall@10"] / max(base["recall@10"], 1e-9), 2)
        r["ndcg_vs_popularity"] = round(r["ndcg@10"] / max(base["ndcg@10"], 1e-9), 2)
    contexts = evaluate_contexts(folder, args.seed)
    out = {
        "dataset": "Last.fm HetRec 2011 (user_artists.dat)",
        "users": n_users,
        "artists": n_items,
        "train_interactions": len(x.items),
        "evaluated_users": len(held),
        "holdout_share": args.holdout,
        "seed": args.seed,
        "results": results,
        "mood_contexts": contexts,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"{out['dataset']}: {n_users} users, {n_items} artists, {len(held)} users evaluated, "
        f"{args.holdout:.0%} of each user's artists held out (seed {args.seed})"
    )
    print(
        f"{'method':14s} {'recall@10':>10s} {'NDCG@10':>9s} {'x pop (R)':>10s} {'x pop (N)':>10s} "
        f"{'fit s':>7s} {'ms/user':>8s}"
    )
    for name, r in results.items():
        print(
            f"{name:14s} {r['recall@10']:10.4f} {r['ndcg@10']:9.4f} {r['recall_vs_popularity']:10.2f} "
            f"{r['ndcg_vs_popularity']:10.2f} {r['fit_s']:7.2f} {r['ms_per_user']:8.2f}"
        )
    print(
        f"\nMood contexts (user_taggedartists.dat): {contexts['contexts_evaluated']} user x mood contexts "
        f"({', '.join(contexts['mood_groups'])}), one tagged artist held out per context"
    )
    print(f"{'method':20s} {'hit@10':>8s} {'NDCG@10':>9s}")
    for name, r in contexts["results"].items():
        print(f"{name:20s} {r['hit_rate@10']:8.4f} {r['ndcg@10']:9.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
