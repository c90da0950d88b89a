"""Real track lists for the recommender tests (no mocks: a Catalogue is a real in-memory source)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender


def make_tracks(n: int, seed: int = 0, artists: int = 40) -> list[Track]:
    """Tracks spread over the whole valence/arousal plane, features consistent with their mood."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        v, a = (float(x) for x in rng.uniform(-1, 1, 2))
        out.append(
            Track(
                id=f"t{i:05d}",
                location=f"/music/{i}.ogg",
                title=f"Track {i}",
                artist=f"Artist {i % artists}",
                valence=v,
                arousal=a,
                energy=float(np.clip(0.5 + 0.45 * a + rng.normal(0, 0.05), 0, 1)),
                tempo=float(120 + 40 * a + rng.normal(0, 8)),
                loudness_lufs=float(-14 + 5 * a),
                mode=int(v > 0),
                brightness=float(np.clip(0.5 + 0.3 * v + 0.2 * a, 0, 1)),
                extra={"acousticness": float(rng.uniform()), "danceability": float(rng.uniform())},
            )
        )
    return out


@pytest.fixture
def tracks() -> list[Track]:
    return make_tracks(400)


@pytest.fixture
def rec(tracks: list[Track], tmp_path: Path) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    return Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))


def angry_face_corrected(rec: Recommender, now: float) -> Mood:
    """Profile "ivy" made at `now`, whose resting face the camera reads as angry: two of the picks
    planned for that reading (300 s apart) corrected to neutral, after which PersonalModel.corrected
    remaps the reading; the camera's angry reading (70% sure)."""
    angry = Mood.of("angry", 0.7)
    rec.create_profile("ivy", now)
    for i in range(2):
        pick = rec.plan(angry, "ivy", "match", now + i * 300, 1)[0]
        rec.feedback("ivy", pick.track.id, "wrong_mood", angry, now + i * 300 + 20, corrected_mood="neutral")
    return angry
