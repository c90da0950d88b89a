"""The committed record of the stages behind an exported model, for a card whose chain starts from a .tflite.

The model card follows a run's `init_from` chain through the run folders, but runs/ does not survive
between sessions here: a stage warm-started from the shipped int8 model (tflite_weights.py) has no run
folders behind it.  What those earlier stages were (configs, epochs, minutes, the soft/hard comparison, the
baseline figures) is then kept in a JSON record under models/training/history/, named to the card
generator with --earlier, so the card keeps counting every stage instead of pretending the chain began at
the .tflite.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Earlier:
    """What the record says about the stages that made the .tflite a later stage started from."""

    path: Path
    name: str  # e.g. "stage 3"
    tflite: str
    git_commit: str
    tflite_sha256: str
    stages: list[dict[str, Any]]
    epochs: int
    train_minutes: float
    comparison: dict[str, Any] | None
    baseline: dict[str, Any] | None
    int8_flip_average: dict[str, Any] | None = None  # FER2013Valid, int8 + mirror
    int8: dict[str, Any] | None = None  # FER2013Valid, int8, one pass
    shipped_flip_average: bool = True  # how it ran on the speaker (`classifier.flip_average`'s default)

    @property
    def shipped(self) -> tuple[str, dict[str, Any]]:
        """How the model ran as it shipped, and its figures that way.

        Why: the mirror pass's default changed between models (stage 5 shipped with it, width-1.5 without),
        so a record names its own; older records, written before the key, all shipped with the mirror.
        """
        if self.shipped_flip_average:
            return "int8 + mirror", self.int8_flip_average or {}
        return "int8, one pass", self.int8 or {}

    @classmethod
    def load(cls, path: Path) -> Earlier:
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            return cls(
                path=path,
                name=str(data["name"]),
                tflite=str(data["tflite"]),
                git_commit=str(data["git_commit"]),
                tflite_sha256=str(data["tflite_sha256"]),
                stages=list(data["stages"]),
                epochs=int(data["epochs"]),
                train_minutes=float(data["train_minutes"]),
                comparison=data.get("comparison"),
                baseline=data.get("baseline"),
                int8_flip_average=data.get("int8_flip_average"),
                int8=data.get("int8"),
                shipped_flip_average=bool(data.get("shipped_flip_average", True)),
            )
        except KeyError as exc:
            raise ValueError(f"{path}: record without {exc.args[0]!r}") from exc


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(earlier: Earlier) -> str:
    """One clause per recorded stage, then where the result was shipped."""
    parts = []
    for i, st in enumerate(earlier.stages):
        text = f"run `{st['run']}` ({st['epochs']} epochs, peak learning rate {st['learning_rate']:g}"
        if i:  # a stage that started otherwise (e.g. from a .tflite) says how in "start"
            text += ", " + str(st.get("start", "warm-started from the previous stage's best checkpoint"))
        if st.get("fer2013_head"):
            text += ", with the FER2013 head"
        parts.append(text + f"; best epoch {st['best_epoch']})")
    return (
        "; then ".join(parts) + f" — together {earlier.epochs} epochs, {earlier.train_minutes:.0f} minutes, "
        f"shipped as the {earlier.name} int8 model (commit {earlier.git_commit[:7]}; their run folders are "
        f"gone, the figures are kept in `{earlier.path.as_posix()}`)"
    )


def origin(init_from: str, earlier: Earlier | None) -> str:
    """How the first run after the record started (a clause of the card's stage list)."""
    if earlier is None:
        return f", warm-started from the int8 model `{init_from}` (how that one was trained is not recorded)"
    return (
        f", warm-started from the {earlier.name} int8 model (`{init_from}` as of commit "
        f"{earlier.git_commit[:7]}): its int8 weights dequantized into the Keras model, BatchNorm statistics "
        "re-measured on training images (`models/training/tflite_weights.py`)"
    )


def head_weights(earlier: Earlier | None) -> list[tuple[str, float]]:
    """(run, FER2013 loss weight) of the recorded stages that trained the FER2013 head."""
    if earlier is None:
        return []
    return [
        (str(s["run"]), float(s.get("fer2013_weight", 0.5))) for s in earlier.stages if s.get("fer2013_head")
    ]


def comparison_rows(earlier: Earlier | None) -> list[tuple[str, dict[str, Any]]] | None:
    """The soft/hard targets table of the record (as the earlier card printed it), or None."""
    if earlier is None or not earlier.comparison:
        return None
    return [(str(r["targets"]), r) for r in earlier.comparison["rows"]]
