"""The 4Q music-emotion layout (annotations.csv + audio/<song>.mp3) and a feature cache for it.

Feature extraction of a few hundred clips takes minutes, so fitting and evaluation share a cache
(JSON lines, one clip per line, appended as results arrive: an interrupted run resumes).  Cache
entries are keyed by the clip's size and mtime and by FEATURES_VERSION, so stale entries are redone.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodspeaker.library.workers import AnalysisPool

log = logging.getLogger(__name__)

#: Bump when analyse_windows changes what it computes; cached features are then recomputed.
FEATURES_VERSION = 1

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
#: Signs of (valence, arousal) per quadrant of Russell's circumplex.
QUADRANT_SIGNS = {"Q1": (1, 1), "Q2": (-1, 1), "Q3": (-1, -1), "Q4": (1, -1)}


@dataclass(frozen=True)
class Clip:
    song: str
    artist: str
    quadrant: str
    path: Path


def load_annotations(data_dir: Path) -> list[Clip]:
    """Clips listed in `annotations.csv` whose audio exists; raises ValueError on a bad layout."""
    ann = data_dir / "annotations.csv"
    if not ann.is_file():
        raise ValueError(f"{data_dir}: no annotations.csv (expected the 4Q layout)")
    clips = []
    with ann.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"song", "artist", "quadrant"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{ann}: missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            quadrant = row["quadrant"].strip().upper()
            if quadrant not in QUADRANT_SIGNS:
                log.warning("%s:%d: unknown quadrant %r, row skipped", ann, line, row["quadrant"])
                continue
            path = data_dir / "audio" / f"{row['song'].strip()}.mp3"
            if not path.is_file():
                log.warning("%s:%d: audio %s missing, row skipped", ann, line, path)
                continue
            clips.append(Clip(row["song"].strip(), row["artist"].strip(), quadrant, path))
    return clips


def _key(path: Path) -> str:
    st = path.stat()
    return f"{FEATURES_VERSION}:{st.st_size}:{st.st_mtime_ns}"


def extract_features(
    clips: list[Clip],
    cache_file: Path | None,
    pool: AnalysisPool,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Features per song (from the cache where still valid) and failure reasons per song."""
    cached: dict[str, dict[str, Any]] = {}
    if cache_file is not None and cache_file.is_file():
        for raw in cache_file.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(raw)
                cached[entry["song"]] = entry
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by an interrupted run
    features: dict[str, dict[str, float]] = {}
    todo: dict[str, Clip] = {}
    for clip in clips:
        entry = cached.get(clip.song)
        if entry is not None and entry.get("key") == _key(clip.path):
            features[clip.song] = entry["features"]
        else:
            todo[str(clip.path)] = clip
    errors: dict[str, str] = {}
    done = len(features)
    if progress:
        progress(done, len(clips))
    out = None
    if cache_file is not None and todo:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        out = cache_file.open("a", encoding="utf-8")
    try:
        for result in pool.analyse(list(todo)):
            clip = todo[result.path]
            done += 1
            if result.analysis is None:
                errors[clip.song] = result.error or "failed"
            else:
                features[clip.song] = result.analysis.features
                if out is not None:
                    entry = {"song": clip.song, "key": _key(clip.path), "features": result.analysis.features}
                    out.write(json.dumps(entry) + "\n")
                    out.flush()
            if progress:
                progress(done, len(clips))
    finally:
        if out is not None:
            out.close()
    return features, errors


def quadrant_metrics(truth: list[str], predicted: list[str]) -> dict[str, Any]:
    """quadrant/arousal/valence accuracy, count and the confusion matrix (rows true, columns predicted)."""
    n = len(truth)
    if n == 0 or len(predicted) != n:
        raise ValueError("need as many predictions as labels (and at least one)")
    confusion = [[0] * 4 for _ in QUADRANTS]
    quad = val = aro = 0
    for t, p in zip(truth, predicted, strict=True):
        confusion[QUADRANTS.index(t)][QUADRANTS.index(p)] += 1
        quad += t == p
        val += QUADRANT_SIGNS[t][0] == QUADRANT_SIGNS[p][0]
        aro += QUADRANT_SIGNS[t][1] == QUADRANT_SIGNS[p][1]
    return {
        "quadrant_accuracy": quad / n,
        "arousal_accuracy": aro / n,
        "valence_accuracy": val / n,
        "count": n,
        "confusion": {"labels": list(QUADRANTS), "rows_true_cols_predicted": confusion},
    }
