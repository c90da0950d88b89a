"""How the recommender behaves: the [recommend] settings as one frozen value, plus the switches the
benchmarks use to build their baselines (history only, content only)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from moodspeaker.config.schema import RecommendConfig

DAY = 86400.0


@dataclass(frozen=True)
class Options:
    """How the recommender behaves; built from the [recommend] settings (`from_config`)."""

    default_strategy: str
    no_repeat_window: int
    half_life_s: float
    alpha_min: float
    alpha_half_events: float
    uplift_steps: int
    mood_aware: bool = True  # False = the "history only" baseline
    learning: bool = True  # False = content only (no feedback is learned from)
    collaborative: bool = True

    @staticmethod
    def from_config(cfg: RecommendConfig, **changes: Any) -> Options:
        opts = Options(
            default_strategy=cfg.strategy,
            no_repeat_window=cfg.no_repeat_window,
            half_life_s=cfg.half_life_days * DAY,
            alpha_min=cfg.alpha_min,
            alpha_half_events=cfg.alpha_half_events,
            uplift_steps=cfg.uplift_steps,
        )
        return dataclasses.replace(opts, **changes)
