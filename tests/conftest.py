"""Shared fixtures: where the (optional) datasets are, and a hermetic environment for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testcache import cache_root, numba_cache

# a test file that leaves a service's threads running is warned about (tests/threadguard.py)
pytest_plugins = ("threadguard",)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's config or writes into their home folder.

    HOME is an empty folder of the test's own, for the test and the programs it starts (they get its
    environment): the default data folder (device.data_dir = ~/.local/share/moodspeaker, expanded
    from HOME) was the developer's, and `config set` on a test's file without one wrote its
    config-asked.json there.  Tools keep their own settings and caches (XDG_CONFIG_HOME and
    XDG_CACHE_HOME stay the real ones: pip's find-links, Chromium's), and so do the tests' caches."""
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    monkeypatch.setenv("SDL_AUDIODRIVER", os.environ.get("SDL_AUDIODRIVER", "dummy"))
    # librosa's numba JIT costs a minute on a cold cache: keep the cache outside the checkout so
    # fresh clones on the same machine (as in CI) reuse it (tests/testcache.py).  Both computed from
    # the real HOME, before it is moved.
    monkeypatch.setenv("MOODSPEAKER_TEST_CACHE", str(cache_root()))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    home = Path.home()
    monkeypatch.setenv("XDG_CONFIG_HOME", os.environ.get("XDG_CONFIG_HOME") or str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", os.environ.get("XDG_CACHE_HOME") or str(home / ".cache"))
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME"):  # under the test's HOME, as without them
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The shared datasets folder ($MOODSPEAKER_DATA); tests that need it skip with the reason."""
    value = os.environ.get("MOODSPEAKER_DATA")
    if not value or not Path(value).is_dir():
        pytest.skip("datasets not available: set MOODSPEAKER_DATA to the datasets folder")
    return Path(value)
