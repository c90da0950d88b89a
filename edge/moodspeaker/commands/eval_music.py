"""`moodspeaker eval-music --data DIR [--json]`: how well the valence/arousal estimator does on clips.

DIR has the 4Q layout (annotations.csv + audio/<song>.mp3).  By default the shipped model's recipe is
cross-validated on DIR (nested, grouped by artist: the model scoring a clip never saw its artist), which
is the estimate README quotes for new music.  `--as-is` scores a model as it is instead (`--model`, by
default the shipped one); on the 4Q clips the shipped model was fitted on those are training-set figures,
and the output says so.  `--out FILE` also writes the model fitted on all of DIR to FILE; nothing is
written otherwise (the shipped model file is never written unless given as --out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moodspeaker.commands import argtypes
from moodspeaker.config import Config, data_dir

if TYPE_CHECKING:
    from moodspeaker.library.emotion import EmotionModel
    from moodspeaker.library.emotion_data import Clip

CROSS_VALIDATED = "cross-validated"
AS_IS = "model as is"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        help="folder with annotations.csv and audio/ (default: $MOODSPEAKER_DATA/music-emotion-4q)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="score the model as it is (--model) instead of cross-validating its recipe on DIR",
    )
    parser.add_argument(
        "--model", type=Path, help="emotion model JSON to score with --as-is (default: the shipped one)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="also write the model fitted on all of DIR to FILE (default: write nothing)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="feature cache file (JSON lines); reused when valid (default: in the data folder)",
    )
    parser.add_argument(
        "--workers", type=argtypes.positive, help="analysis workers (default: library.workers)"
    )
    parser.add_argument(
        "--fit",
        nargs="?",
        const="",
        metavar="OUT",
        help="the old spelling: cross-validating is the default now, and --fit OUT is --out OUT",
    )


def _data_folder(args: argparse.Namespace) -> Path | None:
    if args.data:
        return Path(args.data)
    root = os.environ.get("MOODSPEAKER_DATA")
    return Path(root) / "music-emotion-4q" if root else None


def _name(folder: Path) -> str:
    """What a model fitted on `folder` says it was trained on: the folder's name (not its path, which
    may name the user), `.` and the like resolved."""
    full = folder.resolve()
    return full.name or str(full)


def _fail(message: str) -> int:
    print(f"eval-music: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, config: Config) -> int:
    from tqdm import tqdm

    from moodspeaker.library import numba_cache_dir
    from moodspeaker.library.emotion import EmotionModel, default_model_path
    from moodspeaker.library.emotion_data import extract_features, load_annotations
    from moodspeaker.library.workers import AnalysisPool

    folder = _data_folder(args)
    if folder is None:
        return _fail("give --data DIR (or set MOODSPEAKER_DATA)")
    out: Path | None = args.out or (Path(args.fit) if args.fit else None)
    as_is = args.as_is or args.model is not None
    if as_is and out is not None:
        return _fail("--out writes a model fitted on DIR: it does not go with --as-is or --model")
    try:
        clips = load_annotations(folder)
        model = EmotionModel.load(args.model) if as_is else None
    except UnicodeDecodeError as exc:  # from the CSV (the model's reader names its file); Python names none
        return _fail(f"{folder / 'annotations.csv'}: not UTF-8 text (byte {exc.start})")
    except ValueError as exc:
        return _fail(str(exc))
    if not clips:
        return _fail(f"{folder}: no clips with audio")
    # in the data folder, next to the numba cache: never the working folder, where a run from
    # $HOME or the repository left a stray `.cache/`
    cache = args.cache or data_dir(config) / "eval-music-cache" / "music-4q" / "features.jsonl"
    workers = args.workers or config.library.workers
    bar = tqdm(total=len(clips), unit="clip", desc="analysing", file=sys.stderr, disable=None)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    with AnalysisPool(workers, config.library.excerpt_s, numba_cache_dir(config)) as pool:
        features, errors = extract_features(clips, cache, pool, progress)
    bar.close()

    if model is not None:
        result = _score_as_is(model, clips, features)
        result["model"] = str(args.model or default_model_path())
    else:
        from moodspeaker.library.emotion_fit import fit_and_validate

        labels = {c.song: c.quadrant for c in clips}
        artists = {c.song: c.artist for c in clips}
        try:
            fitted, result = fit_and_validate(features, labels, artists, data_name=_name(folder))
        except ValueError as exc:  # too few clips or artists for 5 grouped folds
            return _fail(f"{folder}: cannot cross-validate: {exc}; --as-is scores the shipped model as it is")
        result["evaluation"] = CROSS_VALIDATED
        if out is not None:
            out.write_text(json.dumps(fitted.to_json(), indent=1) + "\n", encoding="utf-8")
            result["written"] = str(out)
    result["failed"] = errors
    if args.json:
        print(json.dumps(result))
    else:
        _print_text(result)
    return 0


def _score_as_is(
    model: EmotionModel, clips: list[Clip], features: dict[str, dict[str, float]]
) -> dict[str, Any]:
    from moodspeaker.library.emotion_data import quadrant_metrics

    truth, predicted = [], []
    for clip in clips:
        # a clip that failed to decode is still counted: estimated from average features
        truth.append(clip.quadrant)
        predicted.append(model.estimate(features.get(clip.song, {})).quadrant)
    result = quadrant_metrics(truth, predicted)
    result["evaluation"] = AS_IS
    trained_on = model.info.get("trained_on")
    if trained_on:
        result["note"] = (
            f"the model was fitted on {trained_on}: on those clips these are training-set figures, "
            "not an estimate for new music (run without --as-is for the cross-validated one)"
        )
    return result


def _print_text(result: dict[str, Any]) -> None:
    if result["evaluation"] == CROSS_VALIDATED:
        print(f"cross-validated: {result['method']}")
    else:
        print(f"the model as it is: {result['model']}")
        if result.get("note"):
            print(f"note: {result['note']}")
    print(f"clips: {result['count']} (failed to analyse: {len(result['failed'])})")
    for key in ("quadrant_accuracy", "arousal_accuracy", "valence_accuracy"):
        print(f"{key}: {result[key]:.3f}")
    print("confusion (rows true Q1..Q4, columns predicted):")
    for label, row in zip(
        result["confusion"]["labels"], result["confusion"]["rows_true_cols_predicted"], strict=True
    ):
        print(f"  {label}: {row}")
    for song, reason in result["failed"].items():
        print(f"  failed {song}: {reason}")
    if result.get("written"):
        print(f"model fitted on all clips written to {result['written']}")
