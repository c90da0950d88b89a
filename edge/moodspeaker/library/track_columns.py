"""The Track columns of an analysed file: its features and the valence and arousal estimated from them.

Shared by the local scan (library.indexer) and the LAN mirror (library.lan.subsonicsongs).
"""

from __future__ import annotations

from collections.abc import Mapping

from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.track import FEATURE_COLUMNS


def track_values(
    features: Mapping[str, float], model: EmotionModel, duration_s: float = 0.0
) -> dict[str, float]:
    """The Track columns of an analysed file: features plus the estimated valence and arousal."""
    est = model.estimate(features)
    values = {
        "valence": est.valence,
        "arousal": est.arousal,
        "energy": float(features.get("energy", 0.5)),
        "tempo": float(features.get("tempo", 120.0)),
        "loudness_lufs": float(features.get("loudness_lufs", -14.0)),
        "mode": float(features.get("mode", 1.0)),
        "brightness": float(features.get("brightness", 0.5)),
        "duration_s": duration_s,
    }
    assert set(FEATURE_COLUMNS) <= set(values)
    return values
