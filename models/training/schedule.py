"""The learning-rate schedule of a training run: warm-up, then one cosine to the floor.

Kept apart from the training loop because it is what a resumed run depends on: the schedule is saved with
the optimizer in last.keras, so it is built only from Keras's own schedule classes (a resumed run loads it
without custom objects).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Protocol

import keras

log = logging.getLogger("train")


class ScheduleSettings(Protocol):
    """The [train] settings the schedule reads (train.TrainConfig has them)."""

    @property
    def epochs(self) -> int: ...
    @property
    def learning_rate(self) -> float: ...
    @property
    def min_learning_rate(self) -> float: ...
    @property
    def warmup_epochs(self) -> float: ...
    @property
    def weight_decay(self) -> float: ...


def make_optimizer(cfg: ScheduleSettings, steps_per_epoch: int) -> Any:
    """AdamW on a per-step schedule: a linear warm-up (large early steps upset BatchNorm statistics of a
    fresh net), then a cosine to min_learning_rate at the last step of the last epoch."""
    total = max(1, cfg.epochs * steps_per_epoch)
    warmup = int(cfg.warmup_epochs * steps_per_epoch)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.min_learning_rate,
        decay_steps=max(1, total - warmup),
        alpha=cfg.min_learning_rate / cfg.learning_rate,
        warmup_target=cfg.learning_rate,
        warmup_steps=warmup,
    )
    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=cfg.weight_decay)


def shorten_schedule(
    model: Any, cfg: ScheduleSettings, steps_per_epoch: int, epochs_done: int, finish_at: int
) -> float:
    """Anneal from the current learning rate to cfg.min_learning_rate by the end of epoch `finish_at`.

    Keras's CosineDecay with its warm-up set to the steps already taken is exactly that (its warm-up part
    is never reached again), and it is a built-in schedule, so last.keras still loads without custom
    objects.  Returns the learning rate the new cosine starts from.
    """
    now = int(model.optimizer.iterations)
    current = float(model.optimizer.learning_rate)
    model.optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.min_learning_rate,
        decay_steps=max(1, (finish_at - epochs_done) * steps_per_epoch),
        alpha=min(1.0, cfg.min_learning_rate / current),
        warmup_target=current,
        warmup_steps=now,
    )
    return current


def resumed_length(run_dir: Path, planned: int, finish_at: int | None) -> int | None:
    """The epochs a resumed run ends at when that is not its config's `planned` length, else None.

    `finish_at` (train --finish-at) must lie between the epochs done and the planned length (ValueError
    says why not).  Without it, a --finish-at that was stopped after recording its cut in state.json but
    before config.toml said the new length is finished: re-applying the cut at the same step gives the
    same schedule, so it does not matter whether last.keras already had it.
    """
    state_path = run_dir / "state.json"
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    cuts = state.get("shortened") or []
    if finish_at is None:
        if not cuts or cuts[-1]["to_epochs"] == planned:
            return None
        log.warning(
            "%s: finishing the shortening to %d epochs stopped midway", run_dir, cuts[-1]["to_epochs"]
        )
        return int(cuts[-1]["to_epochs"])
    if not (run_dir / "last.keras").is_file() or not state:
        raise ValueError(
            f"--finish-at: {run_dir} has no finished epoch to shorten from; "
            "start it again with --run and --epochs"
        )
    if not int(state["epochs_done"]) < finish_at < planned:
        raise ValueError(
            f"--finish-at {finish_at}: must lie after the {state['epochs_done']} epochs done and before the "
            f"planned {planned}"
        )
    return finish_at
