"""The chain of runs behind a model card's checkpoint, and the card's paragraphs that describe it.

A shipped checkpoint is the last of several warm-started runs (`init_from`); the card counts every stage and
compares soft against hard targets from stage 1.  This is kept apart from model_card.py (which assembles the
whole card from the measured reports) so that the chain's rules, including a chain that starts from an
exported .tflite whose earlier stages come from a committed record (card_history), read in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.training.card_history import Earlier, comparison_rows, describe, origin
from models.training.train import RunConfig


def pct(value: float | None) -> str:
    """A fraction as the card prints it (one decimal, or n/a)."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


def load_json(path: Path | None) -> dict[str, Any] | None:
    """A report file's JSON, or None when it is not there (the card says what is missing)."""
    return json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else None


def best_row(run: Path) -> dict[str, Any] | None:
    """The metrics.jsonl line of the run's best epoch (FER+ validation accuracy, float, one pass)."""
    path = run / "metrics.jsonl"
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return max(rows, key=lambda r: r["val_accuracy"]) if rows else None


def comparison(soft: Path, hard: Path, earlier: Earlier | None = None) -> str:
    """Soft (vote distribution) vs hard (one-hot majority) targets: same stage-1 config otherwise."""
    soft_row, hard_row = best_row(soft), best_row(hard)
    recorded = comparison_rows(earlier)
    if (soft_row is None or hard_row is None) and recorded and earlier is not None and earlier.comparison:
        c = earlier.comparison
        head = (
            f"Soft vs hard targets (stage 1 only: `{c['soft_run']}` vs `{c['hard_run']}`, identical config, "
            f"seed and schedule except `targets`; the hard run did {c['hard_epochs_done']} of "
            f"{c['hard_epochs']} epochs; float model, one pass, best epoch, FER2013Valid; as recorded in "
            f"`{earlier.path.as_posix()}`). Hard targets also drop the training faces without a clear "
            "majority, as in Barsoum et al.'s majority scheme:"
        )
        return _comparison_table(head, recorded)
    if soft_row is None or hard_row is None:
        return (
            "Hard (majority one-hot) targets: not compared yet (`make train RUN=runs/mbv2-hard "
            "CONFIG=models/training/configs/mbv2-hard.toml`)."
        )
    hard_cfg = RunConfig.load(hard / "config.toml")
    hard_state = load_json(hard / "state.json") or {}
    head = (
        f"Soft vs hard targets (stage 1 only: `{soft.name}` vs `{hard.name}`, identical config, seed and "
        f"schedule except `targets`; the hard run has done {hard_state.get('epochs_done')} of "
        f"{hard_cfg.train.epochs} epochs; float model, one pass, best epoch, FER2013Valid). Hard targets "
        "also drop the training faces without a clear majority, as in Barsoum et al.'s majority scheme:"
    )
    return _comparison_table(
        head, [("soft (vote distributions)", soft_row), ("hard (one-hot majority)", hard_row)]
    )


def _comparison_table(head: str, rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        head,
        "",
        "| targets | best epoch | FER+ majority | FER2013 labels | macro-F1 | neutral read as sad |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['epoch']} | {pct(r['val_accuracy'])} | {pct(r.get('val_accuracy_fer2013'))} "
            f"| {pct(r.get('val_macro_f1'))} | {pct(r.get('val_neutral_as_sad'))} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Stage:
    """One run of the chain that made the shipped checkpoint (each warm-starts from the one before)."""

    run: Path
    cfg: RunConfig
    state: dict[str, Any]


def chain_of(run: Path) -> list[Stage]:
    """The run and the runs it was warm-started from (`init_from`), oldest first."""
    stages: list[Stage] = []
    current: Path | None = run
    while current is not None and (current / "config.toml").is_file() and len(stages) < 10:
        cfg = RunConfig.load(current / "config.toml")
        stages.insert(0, Stage(current, cfg, load_json(current / "state.json") or {}))
        current = Path(cfg.train.init_from).parent if cfg.train.init_from else None
    return stages


def from_tflite(chain: list[Stage]) -> bool:
    """Whether the chain's first run started from an exported .tflite (its earlier runs are gone)."""
    return bool(chain) and chain[0].cfg.train.init_from.endswith(".tflite")


def shortened(st: Stage) -> str:
    """What `train --finish-at` did to a run's schedule (its state.json records each cut), or ""."""
    return "".join(
        f"; planned for {cut['from_epochs']} epochs, after epoch {cut['after_epoch']} its schedule was "
        f"shortened to end at epoch {cut['to_epochs']} (`train --finish-at`: a cosine from learning rate "
        f"{float(cut['lr']):.2g} to the floor) to finish within a session"
        for cut in st.state.get("shortened", [])
    )


def _run(st: Stage, start: str) -> str:
    """One run's clause: name, epochs, peak rate, how it started, the head, any shortening."""
    tc = st.cfg.train
    return (
        f"`{st.run.name}` ({tc.epochs} epochs, peak learning rate {tc.learning_rate:g}{start}"
        + (", with the FER2013 head" if st.cfg.model.fer2013_head else "")
        + shortened(st)
    )


def one_run(st: Stage) -> str:
    """A model trained by one run: how it started, its schedule, and any shortening (train --finish-at)."""
    init = st.cfg.train.init_from
    return (
        "One run "
        + _run(st, f", warm-started from `{init}`" if init else ", from random initialisation")
        + ")."
    )


def stages(chain: list[Stage], earlier: Earlier | None = None) -> str:
    tflite = from_tflite(chain)
    if len(chain) < 2 and not tflite:
        return one_run(chain[-1]) if chain else ""
    parts = [describe(earlier)] if tflite and earlier is not None else []
    for i, st in enumerate(chain):
        start = origin(chain[0].cfg.train.init_from, earlier) if tflite else ""
        what = (
            "run "
            + _run(
                st,
                start
                if i == 0
                else ", warm-started from the previous stage's best checkpoint by `init_from`",
            )
            + (f"; best epoch {st.state.get('best_epoch')}" if i < len(chain) - 1 else "")
            + ")"
        )
        parts.append(what)
    count = len(chain) + (len(earlier.stages) if tflite and earlier is not None else 0)
    return (
        f"{count} stages: " + "; then ".join(parts) + ". The first run stopped under-fitted (training "
        "accuracy below validation, validation still rising); one long run does not fit a 3-hour session on "
        "2 cores, warm restarts do. Epochs below count every stage up to the checkpoint each next stage "
        "started from."
    )


def replaced(previous: Earlier, shipped: dict[str, Any], how: str) -> str:
    """The card's sentence on the model this one replaces, each as it ships (`how`: this one's way, e.g.
    "int8, one pass"; the record names its own), on FER2013Valid.

    Why: a model trained from scratch has no `init_from` chain, so nothing else in the card would say what
    was shipped before it or by how much the new one differs.
    """
    old_how, old = previous.shipped
    figures = [
        ("FER+ majority", "accuracy"), ("original FER2013 labels", "accuracy_fer2013"),
        ("macro-F1", "macro_f1"), ("neutral read as sad", "neutral_as_sad"),
    ]  # fmt: skip
    changes = ", ".join(
        f"{label} {pct(old.get(key))} -> {pct(shipped.get(key))}" for label, key in figures if key in old
    )
    return (
        f"It replaces the {previous.name} model (commit {previous.git_commit[:7]}: {len(previous.stages)} "
        f"stages, {previous.epochs} epochs, {previous.train_minutes:.0f} minutes, recorded in "
        f"`{previous.path.as_posix()}`). On FER2013Valid, {previous.name} as it shipped ({old_how}) -> "
        f"this model as it ships ({how}): " + (changes or "the record has no figures") + "."
    )
