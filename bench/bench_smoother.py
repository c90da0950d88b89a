"""Smoother quality on scripted, SYNTHETIC sequences: false mood flips per hour and lag after a change.

The per-frame probabilities are generated, not measured: a listener holds a mood for a while
(exponential durations, mean 90 s, at least 15 s); a simulated classifier reports noisy probabilities
(true class boosted in logit space, with the confusions real expression models make: sad <-> neutral,
fear <-> surprise, angry <-> disgust, contempt <-> neutral; about 65 % top-1 accuracy, like FER models);
short blips (a yawn -> surprise, a squint -> disgust/angry, a glance -> any class) last 1-2 frames at the
strength of a real expression; a few frames lose the face altogether.

A flip is any change of the reported mood.  It is *true* when it moves the reported mood onto the
current true mood for the first time since the listener's change; every other flip is false.  Lag is
the time from the true change to that first correct report.  Compared: the seeds' rolling 5 s and 8 s
averages (argmax of the window mean) and this project's evidence filter with hysteresis (defaults from
MoodConfig).  "Settled" lag also requires the new report to hold for 10 s, so a filter that flickers
onto the right mood by chance does not count as following it.
At 1 frame/s a two-frame blip looks exactly like the first two frames of a real change, so any filter
that ignores such blips reports a change on the third frame at the earliest (first-report lag >= 2 s);
the rolling 5 s average reaches 2 s only by flickering (hundreds of false flips per hour).
Run:  .venv/bin/python bench/bench_smoother.py [--hours H] [--interval S ...] [--seed N ...] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodFilter

CLASSES = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt")
MOOD_WEIGHTS = np.array([0.35, 0.2, 0.08, 0.12, 0.08, 0.05, 0.05, 0.07])
CONFUSIONS = {
    "sad": "neutral",
    "neutral": "sad",
    "fear": "surprise",
    "surprise": "fear",
    "angry": "disgust",
    "disgust": "angry",
    "contempt": "neutral",
    "happy": "neutral",
}
#: A report has "settled" on a new mood when it then holds it for this long.
SETTLE_HOLD_S = 10.0
BLIP_CLASSES = {"yawn": ("surprise",), "squint": ("disgust", "angry"), "glance": CLASSES}


@dataclass
class Frame:
    t: float
    truth: str
    probs: dict[str, float] | None


def classifier_output(rng: np.random.Generator, cls: str) -> dict[str, float]:
    """One noisy probability vector whose expected argmax is `cls` about 65 % of the time."""
    logits = rng.normal(0.0, 1.0, len(CLASSES))
    logits[CLASSES.index(cls)] += rng.normal(2.2, 0.9)
    logits[CLASSES.index(CONFUSIONS[cls])] += rng.normal(1.0, 0.7)
    e = np.exp(logits - logits.max())
    p = e / e.sum()
    return {c: float(x) for c, x in zip(CLASSES, p, strict=True)}


def sequence(rng: np.random.Generator, hours: float, interval: float) -> Iterator[Frame]:
    """Frames every `interval` seconds for `hours`, with true changes, blips and lost faces."""
    t = 0.0
    end = hours * 3600.0
    mood = "neutral"
    seg_end = t + max(15.0, rng.exponential(90.0))
    blip_left = 0
    blip_cls = ""
    noface_left = 0
    while t < end:
        if t >= seg_end:
            choices = [c for c in CLASSES if c != mood]
            w = np.array([MOOD_WEIGHTS[CLASSES.index(c)] for c in choices])
            mood = str(rng.choice(choices, p=w / w.sum()))
            seg_end = t + max(15.0, rng.exponential(90.0))
        if blip_left == 0 and noface_left == 0:
            r = rng.random()
            if r < interval / 20.0:  # a blip every ~20 s on average
                kind = str(rng.choice(list(BLIP_CLASSES)))
                blip_cls = str(rng.choice([c for c in BLIP_CLASSES[kind] if c != mood] or ["surprise"]))
                blip_left = int(rng.integers(1, 3))
            elif r < interval / 20.0 + interval / 60.0:  # the face is lost every ~60 s
                noface_left = int(rng.integers(1, 4))
        if noface_left:
            noface_left -= 1
            yield Frame(t, mood, None)
        elif blip_left:
            blip_left -= 1
            yield Frame(t, mood, classifier_output(rng, blip_cls))
        else:
            yield Frame(t, mood, classifier_output(rng, mood))
        t += interval


@dataclass
class Score:
    false_flips_per_hour: float
    median_lag_s: float
    p90_lag_s: float
    median_settled_lag_s: float
    missed: int
    changes: int


def settled_lags(frames: list[Frame], reports: list[str], hold_s: float) -> list[float]:
    """Per true change: time until the report equals the new mood and then holds for `hold_s`
    (or to the end of the segment, if that comes first).  Changes never settled count as the
    whole segment length."""
    out: list[float] = []
    starts = [i for i in range(1, len(frames)) if frames[i].truth != frames[i - 1].truth]
    for k, i in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(frames)
        settled = None
        for j in range(i, end):
            if reports[j] != frames[i].truth:
                continue
            horizon = frames[j].t + hold_s
            if all(reports[m] == frames[i].truth for m in range(j, end) if frames[m].t <= horizon):
                settled = frames[j].t - frames[i].t
                break
        out.append(settled if settled is not None else frames[end - 1].t - frames[i].t)
    return out


def score(frames: list[Frame], cfg: MoodConfig) -> Score:
    filt = MoodFilter(cfg, CLASSES)
    flips_false = 0
    lags: list[float] = []
    missed = 0
    changes = 0
    truth = frames[0].truth
    change_t = frames[0].t
    matched = True  # the first segment is a warm-up
    reported = UNKNOWN
    reports: list[str] = []
    for fr in frames:
        if fr.truth != truth:
            if not matched:
                missed += 1
            truth, change_t, matched = fr.truth, fr.t, False
            changes += 1
        state = filt.update(fr.probs, fr.t)
        reports.append(state.mood)
        if state.mood != reported:
            if reported != UNKNOWN or state.mood == UNKNOWN:
                if state.mood == truth and not matched:
                    pass
                else:
                    flips_false += 1
            if state.mood == truth and not matched:
                matched = True
                lags.append(fr.t - change_t)
            reported = state.mood
    hours = (frames[-1].t - frames[0].t) / 3600.0
    lags_sorted = sorted(lags) or [float("nan")]
    return Score(
        false_flips_per_hour=flips_false / hours,
        median_lag_s=statistics.median(lags_sorted),
        p90_lag_s=lags_sorted[int(0.9 * (len(lags_sorted) - 1))],
        median_settled_lag_s=statistics.median(settled_lags(frames, reports, SETTLE_HOLD_S)),
        missed=missed,
        changes=changes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=4.0, help="simulated hours per interval")
    parser.add_argument("--interval", type=float, action="append", help="capture interval(s) in seconds")
    parser.add_argument("--seed", type=int, action="append", help="random seed(s) of the sequences")
    parser.add_argument("--json", action="store_true", help="print one JSON object (for bench/report.py)")
    args = parser.parse_args()
    intervals = args.interval or [1.0, 0.5]
    seeds = args.seed or [7, 11]
    base = MoodConfig()
    contenders = {
        "rolling 5 s (seeds)": dataclasses.replace(base, smoothing="rolling", rolling_window_s=5.0),
        "rolling 8 s (seeds)": dataclasses.replace(base, smoothing="rolling", rolling_window_s=8.0),
        "evidence+hysteresis (ours)": base,
    }
    if args.json:
        runs = []
        for seed, interval in itertools.product(seeds, intervals):
            frames = list(sequence(np.random.default_rng(seed), args.hours, interval))
            scores = {name: dataclasses.asdict(score(frames, cfg)) for name, cfg in contenders.items()}
            runs.append({"seed": seed, "interval_s": interval, "hours": args.hours, "scores": scores})
        print(json.dumps({"synthetic": True, "settle_hold_s": SETTLE_HOLD_S, "runs": runs}, indent=2))
        return
    print("SYNTHETIC sequences (generated probabilities, not camera data); see the module docstring.")
    print(
        f"filter defaults: switch_evidence={base.switch_evidence} min_dwell_s={base.min_dwell_s} "
        f"half_life_s={base.half_life_s}; settled = holds the new mood for {SETTLE_HOLD_S:g} s"
    )
    for seed, interval in itertools.product(seeds, intervals):
        frames = list(sequence(np.random.default_rng(seed), args.hours, interval))
        print(f"\nseed {seed}, interval {interval:g} s, {args.hours:g} h, {len(frames)} frames")
        print(
            f"{'filter':28s} {'false flips/h':>14s} {'median lag s':>13s} {'p90 lag s':>10s} "
            f"{'settled lag s':>14s} {'missed':>10s}"
        )
        results = {name: score(frames, cfg) for name, cfg in contenders.items()}
        for name, s in results.items():
            print(
                f"{name:28s} {s.false_flips_per_hour:14.1f} {s.median_lag_s:13.2f} {s.p90_lag_s:10.2f} "
                f"{s.median_settled_lag_s:14.2f} {s.missed:>4d}/{s.changes:<5d}"
            )
        ours = results["evidence+hysteresis (ours)"]
        r5 = results["rolling 5 s (seeds)"]
        r8 = results["rolling 8 s (seeds)"]
        fewer = ours.false_flips_per_hour < r8.false_flips_per_hour
        first_ok = fewer and ours.median_lag_s < r5.median_lag_s
        settled_ok = fewer and ours.median_settled_lag_s < r5.median_settled_lag_s
        print(
            f"ratios: false flips ours/rolling8 = "
            f"{ours.false_flips_per_hour / max(r8.false_flips_per_hour, 1e-9):.2f}; "
            f"first-report lag ours/rolling5 = {ours.median_lag_s / r5.median_lag_s:.2f}; "
            f"settled lag ours/rolling5 = {ours.median_settled_lag_s / r5.median_settled_lag_s:.2f}"
        )
        print(
            f"goal (fewer false flips than rolling 8 s AND less lag than rolling 5 s): "
            f"first-report lag {'met' if first_ok else 'NOT met'}, "
            f"settled lag {'met' if settled_ok else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
