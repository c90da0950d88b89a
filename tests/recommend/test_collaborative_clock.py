"""Item-kNN evidence survives a clock jump (a Pi without an RTC before NTP sets the date)."""

from __future__ import annotations

import math

from moodspeaker.recommend.collaborative import ContextKNN


def test_a_jump_from_1970_to_today_neither_overflows_nor_keeps_stale_evidence() -> None:
    knn = ContextKNN(14 * 86400)
    knn.add("alice|happy", "old-track", 1.0, now=10.0)
    knn.add("alice|happy", "new-track", 1.0, now=1.79e9)  # raised OverflowError before the fix
    cells = knn._cells
    assert all(math.isfinite(v) for v in cells.values())
    assert cells[("alice|happy", "new-track")] > 0.0
    assert cells[("alice|happy", "old-track")] < 1e-9 * cells[("alice|happy", "new-track")]


def test_a_clock_that_goes_back_still_counts_the_evidence() -> None:
    knn = ContextKNN(86400)
    knn.add("bob|sad", "a", 1.0, now=1.79e9)
    knn.add("bob|sad", "b", 1.0, now=1.79e9 - 3600)
    assert knn._cells[("bob|sad", "b")] > 0.9
