"""Shared fixtures: where the (optional) datasets are, and a hermetic environment for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testcache import numba_cache

# a test file that leaves a service's threads running is warned about (tests/threadguard.py)
pytest_plugins = ("threadguard",)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's config or writes into their home folder."""
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    monkeypatch.setenv("SDL_AUDIODRIVER", os.environ.get("SDL_AUDIODRIVER", "dummy"))
    # librosa's numba JIT costs a minute on a cold cache: keep the cache outside the checkout so
    # fresh clones on the same machine (as in CI) reuse it (tests/testcache.py).
    monkeypatch.setenv("NUMBA_CACHE_DIR", os.environ.get("NUMBA_CACHE_DIR", str(numba_cache())))


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The shared datasets folder ($MOODSPEAKER_DATA); tests that need it skip with the reason."""
    value = os.environ.get("MOODSPEAKER_DATA")
    if not value or not Path(value).is_dir():
        pytest.skip("datasets not available: set MOODSPEAKER_DATA to the datasets folder")
    return Path(value)
