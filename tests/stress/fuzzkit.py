"""Shared hypothesis settings and strategies of the fuzz tests (test_stress_fuzz_*.py)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from moodspeaker.service.control import COMMANDS, STRATEGIES


def fuzz(examples: int) -> settings:
    """Bounded, derandomized (the same examples every run: a failure reproduces), no deadline (shared CPU)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
names = st.sampled_from(sorted(COMMANDS)) | st.text(max_size=20)
arg_names = st.sampled_from(["volume", "enabled", "mood", "profile", "strategy", "x"]) | st.text(max_size=8)


def valid_state(state: dict[str, Any], profiles: list[str]) -> None:
    """What must hold after any command, accepted or not."""
    assert 0.0 <= state["volume"] <= 1.0 and math.isfinite(state["volume"])
    assert state["strategy"] in STRATEGIES
    assert state["profile"] in profiles
    assert isinstance(state["camera"], bool)
