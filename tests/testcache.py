"""Where the tests keep what is slow to rebuild (numba's JIT cache, the installer test's root tarball
and wheels): outside the checkout, so fresh clones on the same machine (as in CI) reuse it.

$MOODSPEAKER_TEST_CACHE moves it (default ~/.cache/moodspeaker-tests).  Importable from every test
module and conftest because pytest puts tests/ on sys.path for tests/conftest.py; the stress tests'
child scripts, which run with PYTHONPATH=tests/stress only, do not import it.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The tests' cache folder: $MOODSPEAKER_TEST_CACHE, else ~/.cache/moodspeaker-tests."""
    return Path(os.environ.get("MOODSPEAKER_TEST_CACHE", Path.home() / ".cache" / "moodspeaker-tests"))


def numba_cache() -> Path:
    """The shared numba JIT cache: $NUMBA_CACHE_DIR when set, else `numba` in the tests' cache folder."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    return cache_root() / "numba"
