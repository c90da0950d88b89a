"""Feedback streams: durable before return, learning with forgetting, conflicts, profiles."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from moodspeaker.config.load import with_changes
from moodspeaker.config.schema import Config, RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import (
    Catalogue,
    FeedbackError,
    FeedbackStore,
    Mood,
    Options,
    ProfileError,
    Recommender,
    write_export,
)

from .conftest import angry_face_corrected

NOW = 1_800_000_000.0
DAY = 86400.0


def test_feedback_is_committed_before_the_call_returns(rec: Recommender, tmp_path: Path) -> None:
    rec.create_profile("alice", NOW)
    pick = rec.plan(Mood.of("happy"), "alice", "match", NOW, 1)[0]
    rec.feedback("alice", pick.track.id, "like", Mood.of("happy"), NOW + 5)
    # A separate connection (another process would see the same) reads it straight away.
    other = sqlite3.connect(tmp_path / "recommend.sqlite")
    rows = other.execute("SELECT profile, track_id, kind, mood FROM feedback").fetchall()
    assert rows == [("alice", pick.track.id, "like", "happy")]
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_learning_survives_a_restart(tracks: list[Track], tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    opts = Options.from_config(RecommendConfig())
    rec = Recommender(Catalogue(tracks), FeedbackStore(path), opts)
    rec.create_profile("bob", NOW)
    angry = Mood.of("angry")
    loud = sorted(tracks, key=lambda t: -t.arousal)[:12]
    for i, t in enumerate(loud):
        rec.feedback("bob", t.id, "like", angry, NOW + i * 200)
    before = [p.track.id for p in rec.plan(angry, "bob", "match", NOW + 5000, 5)]
    rec.store.close()
    again = Recommender(Catalogue(tracks), FeedbackStore(path), opts)
    after = [p.track.id for p in again.plan(angry, "bob", "match", NOW + 5000, 5)]
    assert before == after


def test_bad_feedback_is_refused_with_a_reason(rec: Recommender, tracks: list[Track]) -> None:
    with pytest.raises(FeedbackError, match="unknown feedback kind 'meh'"):
        rec.feedback("alice", tracks[0].id, "meh", Mood.of("sad"), NOW)
    with pytest.raises(FeedbackError, match="corrected mood"):
        rec.feedback("alice", tracks[0].id, "wrong_mood", Mood.of("sad"), NOW)
    with pytest.raises(ProfileError, match="empty"):
        rec.feedback("  ", tracks[0].id, "skip", Mood.of("sad"), NOW)
    with pytest.raises(ValueError, match="finite"):
        rec.feedback("alice", tracks[0].id, "skip", Mood.of("sad"), float("nan"))
    assert list(rec.store.events()) == []  # nothing half-written


def test_skipped_in_this_mood_is_filtered_but_not_in_another(rec: Recommender) -> None:
    rec.create_profile("alice", NOW)
    sad = Mood.of("sad")
    first = rec.plan(sad, "alice", "match", NOW, 1)[0].track
    rec.feedback("alice", first.id, "skip", sad, NOW + 10, played_s=8.0)
    for i in range(40):  # push it out of the no-repeat window
        other = rec.plan(Mood.of("happy"), "alice", "match", NOW + 100 + i, 1)[0].track
        rec.feedback("alice", other.id, "completed", Mood.of("happy"), NOW + 100 + i)
    sad_ids = {p.track.id for p in rec.plan(sad, "alice", "match", NOW + DAY, 20)}
    assert first.id not in sad_ids
    model = rec._models["alice"]
    assert first.id not in model.blocked("neutral", NOW + DAY, 1e9)


def test_conflicting_feedback_latest_verdict_wins(rec: Recommender, tracks: list[Track]) -> None:
    rec.create_profile("alice", NOW)
    sad = Mood.of("sad")
    t = tracks[3]
    rec.feedback("alice", t.id, "like", sad, NOW)
    rec.feedback("alice", t.id, "dislike", sad, NOW + 1)
    model = rec._models["alice"]
    assert t.id in model.blocked("sad", NOW + 2, 1e9)
    rec.feedback("alice", t.id, "like", sad, NOW + 2)
    assert model.liked("sad", t.id)
    assert t.id not in model.blocked("sad", NOW + 3, 1e9) - set(model.recent)
    # and plan still works after the back-and-forth
    assert rec.plan(sad, "alice", "match", NOW + 4, 5)


def test_older_evidence_fades(rec: Recommender, tracks: list[Track]) -> None:
    rec.create_profile("carol", NOW)
    """A listener who changed: months-old likes of calm music weigh less than this week's loud ones."""
    happy = Mood.of("happy")
    calm = sorted(tracks, key=lambda t: t.arousal)[:15]
    loud = sorted(tracks, key=lambda t: -t.arousal)[:15]
    for i, t in enumerate(calm):
        rec.feedback("carol", t.id, "like", happy, NOW + i)
    later = NOW + 120 * DAY
    for i, t in enumerate(loud):
        rec.feedback("carol", t.id, "like", happy, later + i)
    picks = rec.plan(happy, "carol", "match", later + 1000, 5)
    assert sum(p.track.arousal for p in picks) / 5 > 0.3


def test_profiles_export_and_really_delete(rec: Recommender, tracks: list[Track], tmp_path: Path) -> None:
    rec.create_profile("Dana", NOW, "uplift")
    assert rec.create_profile("Dana", NOW) is False  # idempotent
    for i in range(5):
        rec.feedback("Dana", tracks[i].id, "completed", Mood.of("neutral"), NOW + i)
    rec.create_profile("Erin", NOW)  # feedback never makes a profile (test_feedback_unknown_profile)
    rec.feedback("Erin", tracks[9].id, "like", Mood.of("happy"), NOW + 9)
    assert set(rec.profiles()) >= {"Dana", "Erin"}
    data = rec.export_profile("Dana")
    json.dumps(data)  # JSON-ready
    assert data["strategy"] == "uplift" and len(data["feedback"]) == 5
    assert {e["track_id"] for e in data["feedback"]} == {t.id for t in tracks[:5]}
    assert b"Dana" in b"".join(p.read_bytes() for p in tmp_path.glob("recommend.sqlite*"))
    assert rec.delete_profile("Dana") == 5
    assert "Dana" not in rec.profiles() and "Erin" in rec.profiles()
    with pytest.raises(ProfileError, match="no profile named 'Dana'"):
        rec.export_profile("Dana")
    # really deleted: the name is in neither the database file nor its WAL
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("recommend.sqlite*"))
    assert b"Dana" not in raw and b"Erin" in raw
    assert "Dana" not in rec._models
    # a fresh plan for a re-created Dana starts from scratch
    assert rec.plan(Mood.of("neutral"), "Dana", "match", NOW + 50, 3)


def test_strategy_per_profile(rec: Recommender) -> None:
    rec.create_profile("frank", NOW)
    rec.set_strategy("frank", "off")
    assert rec.plan(Mood.of("sad"), "frank", None, NOW, 3) == []
    rec.set_strategy("frank", "match")
    assert len(rec.plan(Mood.of("sad"), "frank", None, NOW, 3)) == 3
    with pytest.raises(ProfileError, match="unknown strategy"):
        rec.set_strategy("frank", "loud")
    with pytest.raises(ProfileError, match="no profile"):
        rec.set_strategy("nobody", "match")


def test_retention_prunes_old_feedback(rec: Recommender, tracks: list[Track]) -> None:
    rec.create_profile("gus", NOW)
    rec.feedback("gus", tracks[0].id, "completed", Mood.of("happy"), NOW - 40 * DAY)
    rec.feedback("gus", tracks[1].id, "completed", Mood.of("happy"), NOW)
    assert rec.store.prune(NOW - 30 * DAY) == 1
    assert [e.track_id for e in rec.store.events("gus")] == [tracks[1].id]


def test_retention_also_forgets_what_was_learned(rec: Recommender, tracks: list[Track]) -> None:
    rec.create_profile("hal", NOW)
    angry = Mood.of("angry")
    for i, t in enumerate(sorted(tracks, key=lambda t: -t.arousal)[:10]):
        rec.feedback("hal", t.id, "like", angry, NOW - 60 * DAY + i)
    assert rec._models["hal"].evidence > 0
    assert rec.apply_retention(NOW, 30) == 10
    assert "hal" not in rec._models and list(rec.store.events("hal")) == []


def test_wrong_mood_corrections_remap_a_misread_mood(rec: Recommender, tracks: list[Track]) -> None:
    """The camera reads this listener's resting face as angry; after two corrections it listens."""
    angry = angry_face_corrected(rec, NOW)
    picks = rec.plan(angry, "ivy", "match", NOW + 1000, 3)
    assert "which you told me usually means neutral" in picks[0].reason
    assert all(abs(p.track.arousal) < 0.5 for p in picks)  # neutral music, not angry music
    stored = [e for e in rec.store.events("ivy") if e.kind == "wrong_mood"]
    assert [e.corrected_mood for e in stored] == ["neutral", "neutral"]


def test_from_config_and_export_file(tmp_path: Path, tracks: list[Track]) -> None:
    cfg = with_changes(
        Config(),
        {
            "device.data_dir": str(tmp_path / "data"),
            "recommend.profiles": "anna,ben",
            "recommend.profile": "anna",
        },
        source="test",
    )
    rec = Recommender.from_config(cfg, Catalogue(tracks))
    assert rec.profiles() == ["anna", "ben"]
    assert (tmp_path / "data" / "recommend.sqlite").is_file()
    rec.feedback("anna", tracks[0].id, "like", Mood.of("happy"), NOW)
    path = write_export(rec.export_profile("anna"), tmp_path / "anna.json")
    assert json.loads(path.read_text())["feedback"][0]["kind"] == "like"
    assert path.stat().st_mode & 0o777 == 0o600
