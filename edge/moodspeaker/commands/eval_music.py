"""`moodspeaker eval-music --data DIR [--json]`: the shipped valence/arousal estimator on labelled clips.

DIR has the 4Q layout (annotations.csv + audio/<song>.mp3).  Evaluation uses the shipped model as
is; `--fit` instead refits the model on DIR (nested grouped CV report, then the coefficients are
written, by default over the shipped JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from moodspeaker.commands import argtypes
from moodspeaker.config import Config, data_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        help="folder with annotations.csv and audio/ (default: $MOODSPEAKER_DATA/music-emotion-4q)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", type=Path, help="emotion model JSON (default: the shipped one)")
    parser.add_argument(
        "--cache",
        type=Path,
        help="feature cache file (JSON lines); reused when valid (--fit default: in the data folder)",
    )
    parser.add_argument(
        "--workers", type=argtypes.positive, help="analysis workers (default: library.workers)"
    )
    parser.add_argument(
        "--fit",
        nargs="?",
        const="",
        metavar="OUT",
        help="refit the model on DIR and write it to OUT (default: the shipped model file)",
    )


def _data_folder(args: argparse.Namespace) -> Path | None:
    if args.data:
        return Path(args.data)
    root = os.environ.get("MOODSPEAKER_DATA")
    return Path(root) / "music-emotion-4q" if root else None


def run(args: argparse.Namespace, config: Config) -> int:
    from tqdm import tqdm

    from moodspeaker.library import numba_cache_dir
    from moodspeaker.library.emotion import EmotionModel, default_model_path
    from moodspeaker.library.emotion_data import extract_features, load_annotations, quadrant_metrics
    from moodspeaker.library.workers import AnalysisPool

    folder = _data_folder(args)
    if folder is None:
        print("eval-music: give --data DIR (or set MOODSPEAKER_DATA)", file=sys.stderr)
        return 2
    try:
        clips = load_annotations(folder)
        model = None if args.fit is not None else EmotionModel.load(args.model)
    except UnicodeDecodeError as exc:  # from the CSV (the model's reader names its file); Python names none
        print(f"eval-music: {folder / 'annotations.csv'}: not UTF-8 text (byte {exc.start})", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"eval-music: {exc}", file=sys.stderr)
        return 2
    if not clips:
        print(f"eval-music: {folder}: no clips with audio", file=sys.stderr)
        return 2
    cache = args.cache
    if cache is None and args.fit is not None:
        # in the data folder, next to the numba cache: never the working folder, where a run from
        # $HOME or the repository left a stray `.cache/`
        cache = data_dir(config) / "eval-music-cache" / "music-4q" / "features.jsonl"
    workers = args.workers or config.library.workers
    bar = tqdm(total=len(clips), unit="clip", desc="analysing", file=sys.stderr, disable=None)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    with AnalysisPool(workers, config.library.excerpt_s, numba_cache_dir(config)) as pool:
        features, errors = extract_features(clips, cache, pool, progress)
    bar.close()

    if args.fit is not None:
        from moodspeaker.library.emotion_fit import fit_and_validate

        labels = {c.song: c.quadrant for c in clips}
        artists = {c.song: c.artist for c in clips}
        fitted, report = fit_and_validate(features, labels, artists)
        out = Path(args.fit) if args.fit else default_model_path()
        out.write_text(json.dumps(fitted.to_json(), indent=1) + "\n", encoding="utf-8")
        report["written"] = str(out)
        report["failed"] = errors
        print(json.dumps(report, indent=None if args.json else 2))
        return 0

    assert model is not None
    truth, predicted = [], []
    for clip in clips:
        # a clip that failed to decode is still counted: estimated from average features
        truth.append(clip.quadrant)
        predicted.append(model.estimate(features.get(clip.song, {})).quadrant)
    result = quadrant_metrics(truth, predicted)
    result["failed"] = errors
    result["model"] = str(args.model or default_model_path())
    if args.json:
        print(json.dumps(result))
    else:
        print(f"clips: {result['count']} (failed to analyse: {len(errors)})")
        for key in ("quadrant_accuracy", "arousal_accuracy", "valence_accuracy"):
            print(f"{key}: {result[key]:.3f}")
        print("confusion (rows true Q1..Q4, columns predicted):")
        for label, row in zip(
            result["confusion"]["labels"], result["confusion"]["rows_true_cols_predicted"], strict=True
        ):
            print(f"  {label}: {row}")
        for song, reason in errors.items():
            print(f"  failed {song}: {reason}")
    return 0
