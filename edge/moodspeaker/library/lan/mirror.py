"""The reading half every remote library shares: a local mirror index answers like LibraryIndex.

A speaker keeps working from this mirror when the server is gone, so reading never touches the network.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.track import Track


class MirroredLibrary:
    """Subclasses set `self.cache` (their mirror) in `__init__` and add syncing and streaming."""

    cache: LibraryIndex

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
