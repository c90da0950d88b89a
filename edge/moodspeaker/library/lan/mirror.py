"""The reading half every remote library shares: a local mirror index answers like LibraryIndex.

A speaker keeps working from this mirror when the server is gone, so reading never touches the network.
A mirror whose server never once answered a sync (a mistyped URL, something that is not a library
server) holds nothing worth keeping: `library sync` discards it, so `library stats` does not list it.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.track import Track

#: meta key of the mirror: when a sync last succeeded (set with the outcome, see client.note_sync)
ANSWERED = "answered_at"


class MirroredLibrary:
    """Subclasses set `self.cache` (their mirror) and `self.root` (its folder) in `__init__` and add
    syncing and streaming."""

    cache: LibraryIndex
    root: Path

    def ever_answered(self) -> bool:
        """A sync has succeeded once (mirrors from before this mark count when they hold tracks)."""
        return self.cache.meta(ANSWERED) is not None or self.cache.stats()["tracks"] > 0

    def close(self) -> None:
        self.cache.close()

    def discard(self) -> None:
        """Close the mirror and delete its folder (for a server that never answered)."""
        self.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def tracks(self) -> list[Track]:
        return self.cache.tracks()

    def get(self, track_id: str) -> Track | None:
        return self.cache.get(track_id)

    def feature_matrix(self) -> tuple[list[str], np.ndarray]:
        return self.cache.feature_matrix()

    def query(
        self, target: Mapping[str, float], k: int = 10, weights: Mapping[str, float] | None = None
    ) -> list[tuple[Track, float]]:
        return self.cache.query(target, k, weights)
