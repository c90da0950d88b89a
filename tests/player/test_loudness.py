from __future__ import annotations

from typing import Any

import numpy as np

from moodspeaker.library.track import Track
from moodspeaker.player.loudness import LIMIT_KNEE, MAX_BOOST_DB, apply_gain, gain_db


def _track(**kw: Any) -> Track:
    return Track(id="t", location="x", title="t", artist="a", **kw)


def test_gain_from_analysed_loudness_and_replaygain() -> None:
    assert gain_db(_track(loudness_lufs=-10.0), -16.0) == -6.0
    # ReplayGain is relative to -18 LUFS: +2 dB of tag at a -16 target is +4 dB
    assert gain_db(_track(loudness_lufs=-10.0, replaygain_db=2.0), -16.0) == 4.0
    assert gain_db(_track(loudness_lufs=-60.0), -16.0) == MAX_BOOST_DB  # silence is not blasted
    assert gain_db(_track(loudness_lufs=float("nan")), -16.0) == 0.0


def test_limiter_never_clips_and_leaves_normal_material_alone() -> None:
    x = np.linspace(-1, 1, 1001, dtype=np.float32)
    y = apply_gain(x, 4.0)
    assert np.all(np.abs(y) <= 1.0)  # never beyond full scale
    assert np.all(np.diff(y) >= 0)  # monotonic: no folding
    quiet = np.float32(0.2) * x
    assert np.allclose(apply_gain(quiet, 1.0), quiet)
    assert np.all(np.abs(apply_gain(x, 1.0)[np.abs(x) <= LIMIT_KNEE] - x[np.abs(x) <= LIMIT_KNEE]) < 1e-6)
