"""The music library: scanning, analysis, the index, the valence/arousal estimator and LAN sharing."""

from __future__ import annotations

import os
from pathlib import Path

from moodspeaker.config import Config, data_dir


def db_path(config: Config) -> Path:
    """Where the library index lives: <data_dir>/library.db."""
    return data_dir(config) / "library.db"


def numba_cache_dir(config: Config) -> Path:
    """Writable JIT cache for librosa's numba kernels, shared by all analysis workers.

    $NUMBA_CACHE_DIR wins when set (a read-only install, or tests sharing one warm cache).
    """
    return Path(os.environ.get("NUMBA_CACHE_DIR") or data_dir(config) / "numba-cache")
