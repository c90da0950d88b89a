"""One warmed-up analysis pool per test session (librosa's JIT warm-up costs seconds per process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from moodspeaker.library.workers import AnalysisPool
from testcache import numba_cache


@pytest.fixture(scope="session")
def pool() -> Iterator[AnalysisPool]:
    with AnalysisPool(2, excerpt_s=4.0, numba_cache_dir=numba_cache()) as p:
        p.start()
        yield p
