"""Waiting in a test for something another thread (the player, the bridge, a browser) does: poll a
predicate until it holds, and fail saying what never happened.  Imported from tests/, which pytest puts
on sys.path for tests/conftest.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(
    pred: Callable[[], T | None],
    timeout: float = 30.0,
    what: str = "condition",
    interval: float = 0.02,
    *,
    detail: Callable[[], object] | None = None,
) -> T:
    """The predicate's first truthy value within `timeout` seconds (generous by default: CI is busy);
    never None, so a predicate answering `X | None` gives an X.  On a timeout the AssertionError says
    what never happened and, with `detail`, what there was instead (asked for only then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    message = f"timed out after {timeout:g} s waiting for {what}"
    raise AssertionError(message if detail is None else f"{message}; {detail()}")
