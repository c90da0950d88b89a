"""Train the expression model with checkpoints every epoch; resume with one command.

    python -m models.training.train --config models/training/configs/mbv2.toml --run runs/mbv2
    python -m models.training.train --resume runs/mbv2          # continue after an interruption
    python -m models.training.train --resume runs/mbv2 --finish-at 48   # ... and end sooner than planned

The run folder (git-ignored under runs/) holds config.toml (the exact config used), last.keras
(model + optimizer state, written atomically after every epoch), best.keras (best FER+ validation
accuracy), state.json and metrics.jsonl (one line per epoch).  The learning-rate schedule is a function
of the optimizer's step counter, which is saved with the optimizer, and each epoch's shuffling and
augmentation are seeded by (seed, epoch): a resumed run continues exactly where it stopped.

`--finish-at N` shortens a resumed run to N epochs: from the next step the learning rate falls on a cosine
from where it is to min_learning_rate at the end of epoch N (not a jump to the old schedule's value at N:
that would cut the rate mid-run).  Why: sessions on this machine end at a fixed time and take their
processes with them, so a run planned for 60 epochs may have to anneal within the time that is left.  The
new schedule is saved with the optimizer and config.toml records the new length, so later resumes follow it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import numpy.typing as npt
from models.training.augment import AugmentConfig, augment_batch
from models.training.model import ModelConfig, build_model, copy_weights
from models.training.schedule import make_optimizer, resumed_length, shorten_schedule
from models.training.tflite_weights import load_tflite_weights

from moodspeaker.evaluation.ferplus import (
    FER2013_CLASSES,
    MODEL_CLASSES,
    ORIGINAL_LABELS_FILE,
    DatasetError,
    load_split,
    majority_labels,
    read_original_labels,
    soft_targets,
)
from moodspeaker.evaluation.scoring import score_ferplus
from moodspeaker.util.atomic import atomic_write_text

log = logging.getLogger("train")


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 1234
    epochs: int = 24
    batch_size: int = 128
    learning_rate: float = 2e-3
    min_learning_rate: float = 1e-5
    warmup_epochs: float = 1.0
    weight_decay: float = 0.05
    label_smoothing: float = 0.0
    targets: str = "soft"  # "soft": FER+ vote distributions; "majority": one-hot Barsoum majority labels
    limit: int = 0  # use only the first N training images (0 = all); for smoke tests
    # Warm start: a .keras file (e.g. an earlier run's best.keras, same [model]) whose weights start this
    # run; the optimizer and schedule are new (a cosine restart). Empty: random initialisation. A .tflite
    # (an exported int8 model, same [model]) works too: models/training/tflite_weights.py.
    init_from: str = ""
    val_limit: int = 0
    #: Loss weight of the FER2013 head (used only when [model] fer2013_head is on): cross-entropy against
    #: the original FER2013 labels of the training faces, added to the FER+ loss.
    fer2013_weight: float = 0.5


@dataclass(frozen=True)
class RunConfig:
    train: TrainConfig
    model: ModelConfig
    augment: AugmentConfig

    @classmethod
    def load(cls, path: Path) -> RunConfig:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - {"train", "model", "augment"}
        if unknown:
            raise ValueError(f"{path}: unknown sections {sorted(unknown)}")
        return cls(
            train=TrainConfig(**data.get("train", {})),
            model=ModelConfig.from_mapping(data.get("model", {})),
            augment=AugmentConfig.from_mapping(data.get("augment", {})),
        )

    def to_toml(self) -> str:
        def fmt(value: object) -> str:
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, (tuple, list)):
                return "[" + ", ".join(fmt(v) for v in value) + "]"
            return json.dumps(value)

        lines: list[str] = []
        for section, obj in (("train", self.train), ("model", self.model), ("augment", self.augment)):
            lines.append(f"[{section}]")
            lines += [f"{k} = {fmt(v)}" for k, v in asdict(obj).items()]
            lines.append("")
        return "\n".join(lines)


def resolve_ferplus(data: str | None) -> Path:
    """The ferplus folder from --data or $MOODSPEAKER_DATA (the datasets root or ferplus itself)."""
    value = data or os.environ.get("MOODSPEAKER_DATA")
    if not value:
        raise DatasetError("no dataset: pass --data DIR or set MOODSPEAKER_DATA")
    root = Path(value)
    for cand in (root, root / "ferplus"):
        if (cand / "FER2013Train" / "label.csv").is_file():
            return cand
    raise DatasetError(f"{root}: no FER2013Train/label.csv here or in {root / 'ferplus'}")


@dataclass
class Data:
    x_train: npt.NDArray[np.uint8]
    y_train: npt.NDArray[np.float32]
    x_val: npt.NDArray[np.uint8]
    votes_val: npt.NDArray[np.int32]
    majority_val: npt.NDArray[np.int64]
    original_val: npt.NDArray[np.int64] | None
    #: One-hot original FER2013 labels of the training faces (all-zero rows: no label, no loss), for a
    #: model with a FER2013 head; None otherwise.
    y_train_fer2013: npt.NDArray[np.float32] | None = None


def load_data(ferplus: Path, cfg: TrainConfig, *, fer2013_head: bool = False) -> Data:
    train = load_split(ferplus / "FER2013Train")
    if cfg.targets == "soft":
        targets, keep = soft_targets(train.votes)
    elif cfg.targets == "majority":
        labels = majority_labels(train.votes)
        keep = labels >= 0
        targets = np.eye(len(MODEL_CLASSES), dtype=np.float32)[np.maximum(labels, 0)]
    else:
        raise ValueError(f"[train] targets must be 'soft' or 'majority', got {cfg.targets!r}")
    x, y = train.images[keep], targets[keep]
    y_fer: npt.NDArray[np.float32] | None = None
    if fer2013_head:
        labels_file = ferplus / ORIGINAL_LABELS_FILE
        original_train = read_original_labels(labels_file, train.names)[keep]
        y_fer = np.zeros((len(original_train), len(FER2013_CLASSES)), dtype=np.float32)
        has = original_train >= 0
        y_fer[has, original_train[has]] = 1.0
        log.info("FER2013 head: %d of %d training faces have an original label", int(has.sum()), len(has))
    if cfg.limit:
        x, y = x[: cfg.limit], y[: cfg.limit]
        y_fer = None if y_fer is None else y_fer[: cfg.limit]
    val = load_split(ferplus / "FER2013Valid")
    sl = slice(0, cfg.val_limit or None)
    original = None
    if (ferplus / ORIGINAL_LABELS_FILE).is_file():
        original = read_original_labels(ferplus / ORIGINAL_LABELS_FILE, val.names)[sl]
    log.info(
        "train: %d images kept of %d (%d resized); valid: %d (%d resized)",
        len(x), len(train.names), train.resized, len(val.names), val.resized,
    )  # fmt: skip
    return Data(x, y, val.images[sl], val.votes[sl], majority_labels(val.votes)[sl], original, y_fer)


def predict(model: Any, images: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
    """Every output of the model (FER+ probabilities first, then the FER2013 head's if it has one)."""
    x = images.astype(np.float32)[..., None]
    out = model.predict(x, batch_size=256, verbose=0)
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(o, dtype=np.float32) for o in outs]


def evaluate(model: Any, data: Data) -> dict[str, Any]:
    probs, *rest = predict(model, data.x_val)
    fer2013_probs = rest[0] if rest else None
    report = score_ferplus(probs, MODEL_CLASSES, data.majority_val, data.original_val, fer2013_probs)
    targets, keep = soft_targets(data.votes_val)
    ce = -np.sum(targets[keep] * np.log(np.clip(probs[keep], 1e-7, 1.0)), axis=1).mean()
    return {
        "val_accuracy": report["accuracy"],
        "val_accuracy_fer2013": report.get("accuracy_fer2013"),
        "val_macro_f1": report["macro_f1"],
        "val_neutral_as_sad": report["neutral_as_sad"],
        "val_soft_ce": float(ce),
        "val_per_class_recall": report["per_class_recall"],
    }


def selection_score(metrics: dict[str, Any], model_cfg: ModelConfig) -> float:
    """What best.keras maximises: FER+ accuracy, plus the FER2013 head's accuracy when there is one."""
    score = float(metrics["val_accuracy"])
    if model_cfg.fer2013_head and metrics.get("val_accuracy_fer2013") is not None:
        score += float(metrics["val_accuracy_fer2013"])
    return score


def _save_atomic(model: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)


def train(
    run_dir: Path,
    cfg: RunConfig,
    data: Data,
    *,
    resume: bool,
    stop_after: int | None = None,
    shortened_from: int | None = None,
) -> dict[str, Any]:
    """Train from scratch or from run_dir/last.keras up to cfg.train.epochs; returns the final state.

    `stop_after` ends this invocation after that epoch (the run stays resumable), e.g. to split a run
    over sessions; the schedule is unaffected.  `shortened_from` (resumes only): the run was planned for
    that many epochs and cfg.train.epochs is its new, shorter length (see shorten_schedule).
    """
    tc = cfg.train
    steps = int(np.ceil(len(data.x_train) / tc.batch_size))
    state_path = run_dir / "state.json"
    metrics_path = run_dir / "metrics.jsonl"
    if resume and (run_dir / "last.keras").is_file():
        state: dict[str, Any] = json.loads(state_path.read_text(encoding="utf-8"))
        model = keras.models.load_model(run_dir / "last.keras")
        start = int(state["epochs_done"])
        log.info(
            "resuming %s after epoch %d (optimizer step %d)", run_dir, start, int(model.optimizer.iterations)
        )
        if shortened_from is not None:
            lr = shorten_schedule(model, tc, steps, start, tc.epochs)
            cuts = state.setdefault("shortened", [])
            if cuts and cuts[-1]["after_epoch"] == start:  # no epoch ran under it (stopped midway): redone
                shortened_from = int(cuts.pop()["from_epochs"])
            cuts.append(
                {"after_epoch": start, "from_epochs": shortened_from, "to_epochs": tc.epochs, "lr": lr}
            )
            # The record, then the new schedule, then the new length: a later plain --resume finishes a cut
            # stopped anywhere in between (resumed_length), and follows a finished one.
            atomic_write_text(state_path, json.dumps(state, indent=2))
            _save_atomic(model, run_dir / "last.keras")
            atomic_write_text(run_dir / "config.toml", cfg.to_toml())
            log.info(
                "schedule shortened: %d -> %d epochs, cosine from lr %.2e", shortened_from, tc.epochs, lr
            )
        if metrics_path.is_file():  # drop lines of an epoch that finished after the last checkpoint
            lines = [ln for ln in metrics_path.read_text().splitlines() if ln.strip()]
            kept = [ln for ln in lines if json.loads(ln)["epoch"] <= start]
            metrics_path.write_text("".join(f"{ln}\n" for ln in kept))
    else:
        keras.utils.set_random_seed(tc.seed)
        model = build_model(cfg.model)
        if tc.init_from.endswith(".tflite"):  # an exported model: the float run folder may be gone
            rng = np.random.default_rng([tc.seed, 0xCA1])
            pick = rng.choice(len(data.x_train), size=min(1024, len(data.x_train)), replace=False)
            calibration = augment_batch(data.x_train[np.sort(pick)], cfg.augment, rng)
            load_tflite_weights(model, Path(tc.init_from), calibration)
            log.info("warm start from %s (every layer; BatchNorm statistics measured)", tc.init_from)
        elif tc.init_from:
            fresh = copy_weights(keras.models.load_model(tc.init_from, compile=False), model)
            log.info("warm start from %s (new layers: %s)", tc.init_from, ", ".join(fresh) or "none")
        ce = keras.losses.CategoricalCrossentropy(label_smoothing=tc.label_smoothing)
        if cfg.model.fer2013_head:
            model.compile(
                optimizer=make_optimizer(tc, steps),
                loss=[ce, keras.losses.CategoricalCrossentropy()],
                loss_weights=[1.0, tc.fer2013_weight],
                metrics=[["categorical_accuracy"], ["categorical_accuracy"]],
            )
        else:
            model.compile(optimizer=make_optimizer(tc, steps), loss=ce, metrics=["categorical_accuracy"])
        state = {"epochs_done": 0, "best_val_accuracy": -1.0, "best_epoch": 0, "train_seconds": 0.0}
        if tc.init_from.endswith(".tflite"):  # which model it was: the path may be overwritten later
            state["init_from_sha256"] = hashlib.sha256(Path(tc.init_from).read_bytes()).hexdigest()
        start = 0
        log.info("new run %s: %d parameters, %d steps/epoch", run_dir, model.count_params(), steps)
    last = tc.epochs if stop_after is None else min(tc.epochs, stop_after)
    for epoch in range(start, last):
        t0 = time.time()
        keras.utils.set_random_seed(tc.seed + 1000 * (epoch + 1))
        rng = np.random.default_rng([tc.seed, epoch])
        order = rng.permutation(len(data.x_train))
        x = augment_batch(data.x_train[order], cfg.augment, rng)
        y: Any = data.y_train[order]
        if data.y_train_fer2013 is not None:
            y = [y, data.y_train_fer2013[order]]
        hist = model.fit(x, y, batch_size=tc.batch_size, epochs=1, shuffle=False, verbose=0)
        accuracy_key = next(k for k in hist.history if k.endswith("categorical_accuracy"))
        train_s = time.time() - t0
        metrics = evaluate(model, data)
        lr = float(model.optimizer.learning_rate)
        row = {
            "epoch": epoch + 1,
            "train_loss": float(hist.history["loss"][-1]),
            "train_accuracy": float(hist.history[accuracy_key][-1]),
            "lr": lr,
            "seconds": round(time.time() - t0, 1),
            "train_seconds": round(train_s, 1),
            **metrics,
        }
        _save_atomic(model, run_dir / "last.keras")
        if selection_score(metrics, cfg.model) > state["best_val_accuracy"]:
            _save_atomic(model, run_dir / "best.keras")
            state["best_val_accuracy"], state["best_epoch"] = selection_score(metrics, cfg.model), epoch + 1
        with metrics_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        state["epochs_done"] = epoch + 1
        state["train_seconds"] = round(float(state["train_seconds"]) + row["seconds"], 1)
        state["finished"] = epoch + 1 == tc.epochs
        atomic_write_text(state_path, json.dumps(state, indent=2))
        log.info(
            "epoch %d/%d  loss %.4f  val acc %.4f  fer2013 %s  neutral->sad %.3f  lr %.2e  %.0fs",
            epoch + 1, tc.epochs, row["train_loss"], metrics["val_accuracy"],
            f"{metrics['val_accuracy_fer2013']:.4f}" if metrics["val_accuracy_fer2013"] is not None else "-",
            metrics["val_neutral_as_sad"] or 0.0, lr, row["seconds"],
        )  # fmt: skip
    state["finished"] = state["epochs_done"] >= tc.epochs
    atomic_write_text(state_path, json.dumps(state, indent=2))
    return state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--run", type=Path, help="new run folder (e.g. runs/mbv2); must not hold a run yet")
    group.add_argument("--resume", type=Path, help="continue the run in this folder from last.keras")
    parser.add_argument("--config", type=Path, default=Path(__file__).parent / "configs" / "mbv2.toml")
    parser.add_argument("--data", help="datasets root or ferplus folder (default: $MOODSPEAKER_DATA)")
    parser.add_argument("--epochs", type=int, help="override [train] epochs (new runs only)")
    parser.add_argument("--limit", type=int, help="override [train] limit (new runs only)")
    parser.add_argument("--val-limit", type=int, help="override [train] val_limit (new runs only)")
    parser.add_argument("--stop-after", type=int, help="stop after this epoch (resume later)")
    parser.add_argument(
        "--finish-at", type=int, help="with --resume: end the run after this epoch, annealing from now"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_dir: Path = args.resume or args.run
    shortened_from: int | None = None
    if args.resume:
        if not (run_dir / "config.toml").is_file():
            print(f"train: {run_dir}: no config.toml; not a run folder", file=sys.stderr)
            return 2
        cfg = RunConfig.load(run_dir / "config.toml")
        try:
            length = resumed_length(run_dir, cfg.train.epochs, args.finish_at)
        except ValueError as exc:
            print(f"train: {exc}", file=sys.stderr)
            return 2
        if length is not None:
            shortened_from = cfg.train.epochs
            cfg = RunConfig(replace(cfg.train, epochs=length), cfg.model, cfg.augment)
    else:
        if args.finish_at is not None:
            print("train: --finish-at shortens a resumed run; for a new run use --epochs", file=sys.stderr)
            return 2
        if (run_dir / "state.json").exists():
            print(f"train: {run_dir} already holds a run; use --resume {run_dir}", file=sys.stderr)
            return 2
        cfg = RunConfig.load(args.config)
        overrides = {
            k: v
            for k, v in (("epochs", args.epochs), ("limit", args.limit), ("val_limit", args.val_limit))
            if v
        }
        if overrides:
            cfg = RunConfig(TrainConfig(**{**asdict(cfg.train), **overrides}), cfg.model, cfg.augment)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.toml").write_text(cfg.to_toml(), encoding="utf-8")
    try:
        data = load_data(resolve_ferplus(args.data), cfg.train, fer2013_head=cfg.model.fer2013_head)
    except DatasetError as exc:
        print(f"train: {exc}", file=sys.stderr)
        return 2
    state = train(
        run_dir,
        cfg,
        data,
        resume=bool(args.resume),
        stop_after=args.stop_after,
        shortened_from=shortened_from,
    )
    print(json.dumps(state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
