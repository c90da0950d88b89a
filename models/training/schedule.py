"""The learning-rate schedule of a training run: warm-up, then one cosine to the floor.

Kept apart from the training loop because it is what a resumed run depends on: the schedule is saved with
the optimizer in last.keras, so it is built only from Keras's own schedule classes (a resumed run loads it
without custom objects).
"""

from __future__ import annotations

from typing import Any, Protocol

import keras


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
