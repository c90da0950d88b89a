"""A mood the listener told the speaker (a correction, or music of a mood asked for: "play happy
songs") is planned for as told, never remapped by the camera-correction mapping.

Why: that mapping says what this listener usually means when the camera reads a mood (after two
corrections of the same reading, `PersonalModel.corrected`); the planner applied it to every mood, a
told one too.  A listener whose resting face the camera reads as angry (corrected to neutral twice)
asked for angry music and got neutral music, "which you told me usually means neutral".  Real
recommender on SQLite.
"""

from __future__ import annotations

from dataclasses import replace

from moodspeaker.library.track import Track
from moodspeaker.recommend import Mood, Recommender

from .conftest import angry_face_corrected

NOW = 1_800_000_000.0


def test_a_told_mood_is_planned_for_as_told(rec: Recommender, tracks: list[Track]) -> None:
    angry = angry_face_corrected(rec, NOW)
    read = rec.plan(angry, "ivy", "match", NOW + 1000, 3)
    assert "which you told me usually means neutral" in read[0].reason  # the camera's reading: remapped

    told = rec.plan(replace(Mood.of("angry"), told=True), "ivy", "match", NOW + 1000, 3)
    assert not any("usually means" in p.reason for p in told), [p.reason for p in told]
    assert all(p.reason.startswith("you said you feel angry") for p in told), [p.reason for p in told]
    assert all(p.track.arousal > 0.3 and p.track.valence < 0 for p in told)  # angry music, not neutral
