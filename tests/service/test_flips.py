"""The conductor's flips record (service.flips): bounded, trimmed by age on the monotonic clock, safe to
read while flips are added."""

from __future__ import annotations

import time

from moodspeaker.service.flips import FLIPS_KEPT, Flips


def test_the_oldest_go_beyond_the_bound_and_the_retention_trims_by_age() -> None:
    flips = Flips()
    now = time.monotonic()
    for i in range(FLIPS_KEPT + 2):
        flips.append((now - 3600.0 + i, f"t{i}"))
    assert len(flips) == FLIPS_KEPT and flips[0] == (now - 3600.0 + 2, "t2")
    flips.append((now, "new"))
    # the cut-off is a wall-clock time: ten minutes ago keeps only the flip made now
    assert flips.forget_before(time.time() - 600.0) == FLIPS_KEPT - 1  # the bound dropped one more
    assert list(flips) == [(now, "new")]
    flips.clear()
    assert list(flips) == [] and not flips


def test_iterating_gives_a_copy() -> None:
    flips = Flips()
    flips.append((1.0, "a"))
    seen = []
    for flip in flips:  # a flip added meanwhile (another thread) does not break the loop
        flips.append((2.0, "b"))
        seen.append(flip)
    assert seen == [(1.0, "a")] and len(flips) == 2
