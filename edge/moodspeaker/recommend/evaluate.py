"""Run the listener simulator against every method and summarise skip rates (bench recommend).

Methods (all pick one track at a time for the listener's current camera reading):
  random        any track not played recently (context for the numbers)
  fixed_table   the seeds' mood -> music table (simulator.FIXED_TABLE), nearest track, no learning
  history_only  our learner without moods: taste and household history only
  content_only  our mood targets and content score, no learning from feedback
  hybrid        the full recommender: mood targets + learned personal mapping + household kNN
  hybrid_no_collaborative   the same without the household kNN (an ablation: how much it adds)
  oracle        knows each person's hidden utility and true mood: the floor any method could reach
                (skips left are the simulated listener's own noise)
Listeners share a recommender per household (three people, one of each style), as on the device.
The same noise draws are used for every method (common random numbers), so differences come from
the picks, not from luck.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.options import Options
from moodspeaker.recommend.simulator import (
    FIXED_TABLE,
    STYLES,
    TASTE,
    TRACK_S,
    TRACKS_PER_DAY,
    Listener,
    Moment,
    accepts,
    jittered,
    make_listener,
    moments,
)
from moodspeaker.recommend.source import Catalogue
from moodspeaker.recommend.store import FeedbackStore
from moodspeaker.recommend.targets import Mood

METHODS = (
    "random",
    "fixed_table",
    "history_only",
    "content_only",
    "hybrid",
    "hybrid_no_collaborative",
    "oracle",
)
WARMUP = 50


class Method(Protocol):
    def pick(self, mood: Mood, profile: str, now: float) -> Track | None: ...
    def tell(
        self, profile: str, track: Track, kind: str, mood: Mood, *, now: float, played_s: float
    ) -> None: ...


class _Ours:
    def __init__(self, catalogue: Catalogue, options: Options, strategy: str) -> None:
        self.rec = Recommender(catalogue, FeedbackStore(":memory:", durable=False), options)
        self.strategy = strategy

    def pick(self, mood: Mood, profile: str, now: float) -> Track | None:
        picks = self.rec.plan(mood, profile, self.strategy, now, 1)
        return picks[0].track if picks else None

    def tell(self, profile: str, track: Track, kind: str, mood: Mood, *, now: float, played_s: float) -> None:
        self.rec.create_profile(profile, now)  # the simulated household's listeners (feedback makes none)
        self.rec.feedback(profile, track.id, kind, mood, now, played_s=played_s)


class _Nearest:
    """Nearest unplayed track to a valence/arousal point chosen by `aim` (fixed table, random)."""

    def __init__(
        self, catalogue: Catalogue, aim: Callable[[Mood], tuple[float, float] | None], seed: int
    ) -> None:
        self.tracks = catalogue.tracks()
        self.va = np.array([(t.valence, t.arousal) for t in self.tracks], np.float32)
        self.aim = aim
        self.rng = np.random.default_rng(seed)
        self.recent: dict[str, deque[int]] = {}
        self.last_artist: dict[str, str] = {}

    def pick(self, mood: Mood, profile: str, now: float) -> Track | None:
        recent = self.recent.setdefault(profile, deque(maxlen=30))
        point = self.aim(mood)
        if point is None:
            d = self.rng.random(len(self.tracks))
        else:
            d = ((self.va - np.array(point, np.float32)) ** 2).sum(axis=1)
        order = np.argpartition(d, 64)[:64]
        for r in order[np.argsort(d[order])]:
            t = self.tracks[int(r)]
            if int(r) in recent or t.artist == self.last_artist.get(profile):
                continue
            recent.append(int(r))
            self.last_artist[profile] = t.artist
            return t
        return None

    def tell(self, profile: str, track: Track, kind: str, mood: Mood, *, now: float, played_s: float) -> None:
        return None


class _Oracle:
    """Picks the unplayed track of highest hidden utility (a reference, not a recommender)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.tracks = catalogue.tracks()
        self.va = np.array([(t.valence, t.arousal) for t in self.tracks], np.float64)
        self.taste = np.array([[t.extra.get(k, 0.0) for k in TASTE] for t in self.tracks], np.float64)
        self.recent: dict[str, deque[int]] = {}

    def pick_true(self, person: Listener, m: Moment) -> Track | None:
        dv, da = person.wants(m.true_mood, *m.true_va)
        mood_term = ((self.va[:, 0] - dv) ** 2 + (self.va[:, 1] - da) ** 2) / (2 * 0.35**2)
        taste_term = ((self.taste - np.array(person.taste)) ** 2).sum(axis=1) / (2 * 0.3**2)
        u = -(mood_term + 0.6 * taste_term)
        recent = self.recent.setdefault(person.name, deque(maxlen=30))
        u[list(recent)] = -np.inf
        best = int(np.argmax(u))
        recent.append(best)
        return self.tracks[best]

    def pick(self, mood: Mood, profile: str, now: float) -> Track | None:
        raise NotImplementedError("the oracle needs the hidden state: see pick_true")

    def tell(self, profile: str, track: Track, kind: str, mood: Mood, *, now: float, played_s: float) -> None:
        return None


def make_method(name: str, catalogue: Catalogue, cfg: RecommendConfig, seed: int) -> Method:
    base = Options.from_config(cfg)
    if name == "random":
        return _Nearest(catalogue, lambda m: None, seed)
    if name == "fixed_table":
        return _Nearest(catalogue, lambda m: FIXED_TABLE.get(m.mood, FIXED_TABLE["unknown"]), seed)
    if name == "history_only":
        return _Ours(catalogue, Options(**{**base.__dict__, "mood_aware": False}), "steady")
    if name == "content_only":
        return _Ours(catalogue, Options(**{**base.__dict__, "learning": False}), cfg.strategy)
    if name == "oracle":
        return _Oracle(catalogue)
    if name == "hybrid":
        return _Ours(catalogue, base, cfg.strategy)
    if name == "hybrid_no_collaborative":
        return _Ours(catalogue, Options(**{**base.__dict__, "collaborative": False}), cfg.strategy)
    raise ValueError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class Outcome:
    method: str
    style: str
    listener: str
    index: int
    atypical: bool
    skipped: bool


def simulate_household(
    method: Method, name: str, people: list[Listener], n_tracks: int, seed: int
) -> list[Outcome]:
    """Every person's n_tracks, day by day, sessions one after another in the evening."""
    lives = {
        p.name: list(moments(p, n_tracks, offset_s=j * TRACKS_PER_DAY * TRACK_S))
        for j, p in enumerate(people)
    }
    rngs = {p.name: np.random.default_rng(p.seed + seed) for p in people}
    out: list[Outcome] = []
    for day in range((n_tracks + TRACKS_PER_DAY - 1) // TRACKS_PER_DAY):
        for p in people:
            for m in lives[p.name][day * TRACKS_PER_DAY : (day + 1) * TRACKS_PER_DAY]:
                out.append(_one(method, name, p, m, rngs[p.name]))
    return out


def _one(method: Method, name: str, p: Listener, m: Moment, rng: np.random.Generator) -> Outcome:
    track = method.pick_true(p, m) if isinstance(method, _Oracle) else method.pick(m.seen, p.name, m.now)
    u1, u2 = rng.random(), rng.random()  # drawn every time: same sequence for every method
    if track is None:
        return Outcome(name, p.style, p.name, m.index, m.atypical, True)
    kept = accepts(p, track, m, rng)
    if kept:
        kind, played = ("like" if u1 < 0.1 else "completed"), track.duration_s or TRACK_S
    else:
        kind, played = ("dislike" if u1 < 0.05 else "skip"), 3.0 + 22.0 * u2
    method.tell(p.name, track, kind, m.seen, now=m.now + min(played, TRACK_S), played_s=played)
    return Outcome(name, p.style, p.name, m.index, m.atypical, not kept)


def _rate(rows: list[Outcome]) -> float | None:
    return round(sum(r.skipped for r in rows) / len(rows), 4) if rows else None


def run(
    tracks: list[Track],
    *,
    households: int = 4,
    n_tracks: int = 200,
    seed: int = 7,
    methods: tuple[str, ...] = METHODS,
    cfg: RecommendConfig | None = None,
) -> dict[str, Any]:
    """Simulate and summarise; the returned dict is what `moodspeaker bench recommend --json` prints."""
    cfg = cfg or RecommendConfig()
    t0 = time.perf_counter()
    catalogue = Catalogue(tracks)
    rng = np.random.default_rng(seed)
    people = [
        [make_listener(f"h{h}-{style}", style, tracks, rng) for style in STYLES] for h in range(households)
    ]
    rows: list[Outcome] = []
    timing: dict[str, float] = {}
    for name in methods:
        t = time.perf_counter()
        for h, group in enumerate(people):
            rows += simulate_household(
                make_method(name, catalogue, cfg, seed + h), name, group, n_tracks, seed
            )
        timing[name] = round(time.perf_counter() - t, 2)
    warm = min(WARMUP, n_tracks // 2)
    skip: dict[str, dict[str, dict[str, float | None]]] = {}
    for name in methods:
        skip[name] = {}
        for style in (*STYLES, "all"):
            sel = [r for r in rows if r.method == name and style in ("all", r.style)]
            skip[name][style] = {
                "first_tracks": _rate(sel),
                "after_warmup": _rate([r for r in sel if r.index >= warm]),
                "atypical_days": _rate([r for r in sel if r.atypical]),
                "typical_days": _rate([r for r in sel if not r.atypical]),
                "atypical_after_warmup": _rate([r for r in sel if r.atypical and r.index >= warm]),
            }
    out: dict[str, Any] = {
        "simulator": "ours (moodspeaker.recommend.simulator): hidden tastes and mood-response styles; "
        "figures depend on its assumptions",
        "catalogue_tracks": len(tracks),
        "households": households,
        "listeners": households * len(STYLES),
        "tracks_per_listener": n_tracks,
        "warmup_tracks": warm,
        "strategy": cfg.strategy,
        "skip_rate": skip,
        "seconds_per_method": timing,
    }
    if "hybrid" in methods and "fixed_table" in methods:
        red = {}
        for style in STYLES:
            fixed = skip["fixed_table"][style]["after_warmup"] or 0.0
            ours = skip["hybrid"][style]["after_warmup"] or 0.0
            red[style] = round(1.0 - ours / fixed, 4) if fixed > 0 else 0.0
        out["reduction_vs_fixed_table_by_style"] = red
        # The spread behind the averages: the least helped single listener of each style.
        worst: dict[str, float] = {}
        for person in (q for group in people for q in group):
            mine = [r for r in rows if r.listener == person.name and r.index >= warm]
            fixed_one = _rate([r for r in mine if r.method == "fixed_table"]) or 0.0
            ours_one = _rate([r for r in mine if r.method == "hybrid"]) or 0.0
            value = round(1.0 - ours_one / fixed_one, 4) if fixed_one > 0 else 0.0
            worst[person.style] = min(worst.get(person.style, value), value)
        out["worst_single_listener_reduction_by_style"] = worst
        out["skip_rate_reduction_vs_fixed_table"] = min(red.values())
        out["goal_reduction_ge_40pct"] = min(red.values()) >= 0.4
    if "hybrid" in methods and "history_only" in methods:
        ours_a = skip["hybrid"]["all"]["atypical_days"]
        hist_a = skip["history_only"]["all"]["atypical_days"]
        out["atypical_days_hybrid_vs_history_only"] = {"hybrid": ours_a, "history_only": hist_a}
        out["goal_beats_history_on_atypical_days"] = (
            ours_a is not None and hist_a is not None and ours_a < hist_a
        )
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def latency(tracks: list[Track], *, size: int = 100_000, runs: int = 60, seed: int = 3) -> dict[str, Any]:
    """Time one plan (top 10 with reasons) over a catalogue of `size` tracks resampled with jitter
    from `tracks`, for a profile with some history (so every scoring term is active)."""
    catalogue = Catalogue(jittered(tracks, size, seed) if size != len(tracks) else tracks)
    cfg = RecommendConfig()
    rec = Recommender(catalogue, FeedbackStore(":memory:", durable=False), Options.from_config(cfg))
    rng = np.random.default_rng(seed)
    moods = ["happy", "sad", "angry", "neutral", "fear", "surprise"]
    now = 1_800_000_000.0
    for profile in ("anna", "ben"):
        rec.create_profile(profile, now)
    for i in range(120):  # a few days of history for two profiles
        mood = Mood.of(moods[i % len(moods)], 0.8)
        profile = ("anna", "ben")[i % 2]
        pick = rec.plan(mood, profile, cfg.strategy, now, 1)[0]
        kind = "completed" if rng.random() < 0.6 else "skip"
        rec.feedback(
            profile, pick.track.id, kind, mood, now + 100, played_s=200.0 if kind == "completed" else 8.0
        )
        now += 210.0
    times, cpu = [], []
    for i in range(runs):
        mood = Mood.of(moods[i % len(moods)], 0.7)
        t, c = time.perf_counter(), time.thread_time()
        picks = rec.plan(mood, "anna", cfg.strategy, now + i, 10)
        cpu.append((time.thread_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
        if len(picks) != 10 or not all(p.reason for p in picks):
            raise RuntimeError(f"latency run got {len(picks)} picks instead of 10")
    arr, carr = np.array(times), np.array(cpu)
    return {
        "catalogue_tracks": catalogue_size(catalogue),
        "resampled_with_jitter": size != len(tracks),
        "k": 10,
        "runs": runs,
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "max_ms": round(float(arr.max()), 2),
        # CPU time of the planning thread: what the plan costs when the machine is not shared
        "cpu_p50_ms": round(float(np.percentile(carr, 50)), 2),
        "cpu_p95_ms": round(float(np.percentile(carr, 95)), 2),
        "goal_ms": 20.0,
        # wall-clock figures depend on what else runs: say how busy the machine was
        "load_average": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
        "cpus": os.cpu_count(),
    }


def catalogue_size(catalogue: Catalogue) -> int:
    return len(catalogue.feature_matrix()[0])
