"""Waiting in a test for something another thread (the player, the bridge, a browser) does: poll a
predicate until it holds, and fail saying what never happened.  Imported from tests/, which pytest puts
on sys.path for tests/conftest.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(
    pred: Callable[[], T | None], timeout: float = 30.0, what: str = "condition", interval: float = 0.02
) -> T:
    """The predicate's first truthy value within `timeout` seconds (generous by default: CI is busy);
    never None, so a predicate answering `X | None` gives an X."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
