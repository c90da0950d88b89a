"""Music of a mood asked for (ControlAPI `ask_mood`, the Tell box's "play happy songs") is no mood
correction: the mood asked for is held and announced as a correction's is, but nothing is recorded
against the track playing and the listener's camera-correction mapping learns nothing; a correction
(`correct_mood`) still does both.

Why: the Tell box sent "play happy songs" as `correct_mood(happy)`, which stored a "wrong_mood" row
against the track playing (a verdict against it) and taught the mapping that the sad face the camera
read was a happy one: after two such requests every sad reading was planned for as happy.  Real
appliance behind the ControlAPI, real recommender on SQLite; only the camera is scripted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from servicekit import Script, build_on, make_tracks, running, started, wait_for

from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.recommend import Mood, Recommender
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import MoodChanged

pytestmark = pytest.mark.timeout(180)

#: what a play's own end records (a track may end while the test runs): no verdict of the listener's
ENDS = ("completed", "left_running")


def _read_again(app: Appliance, script: Script) -> None:
    """The camera reads a change (neutral) and then the sad face again: whatever mood was held ends."""
    for mood in ("neutral", "sad"):
        script.mood = mood
        wait_for(lambda: app.state()["mood"] == script.mood, what=f"the camera reading {mood}")


def _remapped(rec: Recommender, profile: str, mood: str = "sad") -> bool:
    """Whether `mood` read by the camera is planned for as another mood (the correction mapping)."""
    picks = rec.plan(Mood.of(mood, 0.9), profile, "match", time.time(), 3)
    return any("usually means" in p.reason for p in picks)


def test_music_asked_for_records_and_teaches_nothing_a_correction_does(tmp_path: Path) -> None:
    script = Script("sad")
    with running(tmp_path, script) as (app, control, events):
        wait_for(lambda: app.state()["mood"] == "sad" and app.state()["now_playing"], what="music, sad face")
        rec, profile = app._recommender, app.conductor.profile

        for _ in range(2):  # two requests, each made while the camera reads the sad face
            state = control.execute("ask_mood", {"mood": "happy"}, source="web:tell")
            assert state["mood"] == "happy", state  # the mood in force, as after a correction
            assert [e for e in events if isinstance(e, MoodChanged)][-1].mood == "happy"  # announced
            _read_again(app, script)
        judged = [(r.kind, r.track_id) for r in rec.store.events(profile) if r.kind not in ENDS]
        assert judged == []  # no mood-correction row, nothing against the track playing
        assert not _remapped(rec, profile)

        for _ in range(2):  # two corrections: the camera read the face wrong
            playing = app.state()["now_playing"]["track_id"]
            assert control.execute("correct_mood", {"mood": "happy"})["mood"] == "happy"
            rows = [r for r in rec.store.events(profile) if r.kind == "wrong_mood"]
            assert (rows[-1].track_id, rows[-1].mood, rows[-1].corrected_mood) == (playing, "sad", "happy")
            _read_again(app, script)
        assert len([r for r in rec.store.events(profile) if r.kind == "wrong_mood"]) == 2
        assert _remapped(rec, profile)


def test_a_correction_while_music_asked_for_holds_corrects_the_reading(tmp_path: Path) -> None:
    """ "play happy songs", then "I'm actually neutral": the correction is of the sad face the camera
    read (what the mapping learns from), not of the happy music asked for, which was no reading."""
    with running(tmp_path, Script("sad")) as (app, control, _events):
        wait_for(lambda: app.state()["mood"] == "sad" and app.state()["now_playing"], what="music, sad face")
        rec, profile = app._recommender, app.conductor.profile
        control.execute("ask_mood", {"mood": "happy"})
        assert control.execute("correct_mood", {"mood": "neutral"})["mood"] == "neutral"
        rows = [(r.mood, r.corrected_mood) for r in rec.store.events(profile) if r.kind == "wrong_mood"]
        assert rows == [("sad", "neutral")]


def test_a_correction_over_a_correction_corrects_the_reading(tmp_path: Path) -> None:
    """The camera reads sad, the listener says neutral, then happy: the second correction is of the
    sad face too (the neutral was the listener's, no reading), so the mapping learns sad -> happy, never
    neutral -> happy, which had every neutral face read planned for as happy after two such rounds."""
    script = Script("sad")
    with running(tmp_path, script) as (app, control, _events):
        wait_for(lambda: app.state()["mood"] == "sad" and app.state()["now_playing"], what="music, sad face")
        rec, profile = app._recommender, app.conductor.profile
        for _ in range(2):
            assert control.execute("correct_mood", {"mood": "neutral"})["mood"] == "neutral"
            assert control.execute("correct_mood", {"mood": "happy"})["mood"] == "happy"
            _read_again(app, script)
        rows = [(r.mood, r.corrected_mood) for r in rec.store.events(profile) if r.kind == "wrong_mood"]
        assert rows == [("sad", "neutral"), ("sad", "happy")] * 2
        assert not _remapped(rec, profile, "neutral")
        assert _remapped(rec, profile, "sad")


def test_a_correction_with_no_reading_teaches_no_mapping(tmp_path: Path) -> None:
    """Corrections with the camera off correct no reading: each is still recorded against the track
    playing, but the mapping learns no "unknown -> happy", which had every pick made with the camera
    off (or with no face read) planned for as happy after two of them."""
    with running(tmp_path, Script("sad")) as (app, control, _events):
        wait_for(lambda: app.state()["mood"] == "sad" and app.state()["now_playing"], what="music, sad face")
        rec, profile = app._recommender, app.conductor.profile
        control.execute("set_camera", {"enabled": False})
        wait_for(lambda: app.state()["mood"] == UNKNOWN, what="the mood unknown with the camera off")
        for mood in ("happy", "neutral", "happy"):  # the second and third over a correction
            assert control.execute("correct_mood", {"mood": mood})["mood"] == mood
        rows = [(r.mood, r.corrected_mood) for r in rec.store.events(profile) if r.kind == "wrong_mood"]
        assert rows == [(UNKNOWN, "happy"), (UNKNOWN, "neutral"), (UNKNOWN, "happy")]
        assert not _remapped(rec, profile, UNKNOWN)


#: A library whose mellow tracks sit within the clash distance of its only bright one: a mellow track
#: picked for a sad face did not clash with the best pick for happy music asked for, so it played on.
MELLOW = [("mellow1", 0.0, -0.25, 262.0), ("mellow2", -0.1, -0.2, 294.0), ("bright", 0.55, 0.25, 440.0)]


@pytest.mark.parametrize("strategy", ["uplift", "match"])
def test_music_asked_for_cuts_a_track_that_does_not_fit_it(tmp_path: Path, strategy: str) -> None:
    """ "play something happy" while a mellow track picked for the sad face plays: the music changes
    now (the listener asked for it), though the mellow track does not clash with the happy pick by the
    rule a reading goes by; a track that fits the mood asked for plays on (asked twice: no cut)."""
    changes = {"recommend.strategy": strategy}
    service = build_on(make_tracks(tmp_path, 20.0, MELLOW), tmp_path, Script("sad"), **changes)
    with started(*service) as (app, control, _events):
        state = app.state
        wait_for(lambda: state()["mood"] == "sad" and state()["now_playing"], what="music, sad face")
        assert state()["now_playing"]["track_id"].startswith("mellow")
        flips = len(app.conductor.flips)
        control.execute("ask_mood", {"mood": "happy"})
        # switched to by the request itself (not once the mellow track ended)
        assert len(app.conductor.flips) == flips + 1 and app.conductor.flips[-1][1] == "bright"
        wait_for(lambda: state()["now_playing"]["track_id"] == "bright", what="the bright track")
        flips = len(app.conductor.flips)
        control.execute("ask_mood", {"mood": "happy"})
        assert state()["now_playing"]["track_id"] == "bright" and len(app.conductor.flips) == flips
