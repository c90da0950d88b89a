"""The page's list of tracks held back because they failed to play: the marks the plans obey, no other.

Recommender.held_back gives the "missing" marks still in force, of every profile, as the plans hold
the tracks back (planner.verdict_horizon_s): a mark older than that horizon is no longer listed (the
plans offer the track again), a track marked by two listeners is listed once (its newest mark), a
found track not at all.  service.left_out_list words them, with paths relative to the music folder.
"""

from __future__ import annotations

from moodspeaker.library.track import Track
from moodspeaker.recommend import Recommender
from moodspeaker.recommend.feedback import Mark
from moodspeaker.recommend.planner import verdict_horizon_s
from moodspeaker.service.left_out_list import (
    NOT_FOUND,
    NOT_OPENED,
    SERVER_AWAY,
    files_left_out,
    held_back_tracks,
    shown_path,
)


def test_held_back_lists_the_marks_in_force_of_every_profile_once(
    rec: Recommender, tracks: list[Track]
) -> None:
    now = 1_000_000_000.0
    horizon = verdict_horizon_s(rec.options)
    a, b, old, found = (t.id for t in tracks[:4])
    rec.create_profile("default", 0.0)
    rec.create_profile("Sam", 0.0)
    rec.feedback("default", a, "missing", None, now - 100, seen=None)
    rec.feedback("Sam", a, "missing", None, now - 10, seen='{"path": "x"}')  # newer, file there
    rec.feedback("Sam", b, "missing", None, now - 50, seen=None)
    rec.feedback("default", old, "missing", None, now - horizon - 1, seen=None)  # offered again
    rec.feedback("default", found, "missing", None, now - 20, seen=None)
    rec.feedback("default", found, "found", None, now - 5)
    held = rec.held_back(now)
    assert set(held) == {a, b}
    assert held[a].ts == now - 10 and held[a].seen == '{"path": "x"}'
    assert set(rec.held_back(now - horizon + 200)) == {a, b, old}

    listed = held_back_tracks(held, {t.id: t for t in tracks}.get, ["/music"])
    assert [(e["title"], e["path"], e["why"]) for e in listed] == [
        ("Track 0", "0.ogg", NOT_OPENED),  # newest first
        ("Track 1", "1.ogg", NOT_FOUND),
    ]


def test_paths_are_shown_below_their_music_folder() -> None:
    folders = ["/srv/music/", "~/Music"]
    assert shown_path("/srv/music/Album/01.ogg", folders) == "Album/01.ogg"
    assert shown_path("/srv/musicals/01.ogg", folders) == "/srv/musicals/01.ogg"  # another folder
    assert shown_path("/srv/music", folders) == "/srv/music"  # the folder itself (emptied, missing)


def test_each_path_is_listed_once_with_its_reason_in_words() -> None:
    stats = {
        "failures": [
            {"path": "/m/a.mp3", "reason": "empty file (0 bytes)", "status": "failed"},
            {"path": "/m/b.ogg", "reason": "too short for music: 1.0 s", "status": "short"},
        ],
        "problems": [
            {"path": "/m/b.ogg", "kind": "too-short", "reason": "too short for music: 1.0 s"},
            {"path": "/m/c.mka", "kind": "unsupported", "reason": "unsupported format: Matroska audio"},
            {"path": "/m/d\\xe9.ogg", "kind": "bad-name", "reason": "file name is not valid UTF-8"},
            {"path": "/m", "kind": "empty", "reason": "folder is empty (disk unmounted?)"},
        ],
    }
    assert files_left_out(stats, ["/m"]) == [
        {"path": "/m", "why": "music folder empty", "detail": "folder is empty (disk unmounted?)"},
        {"path": "a.mp3", "why": "failed to decode", "detail": "empty file (0 bytes)"},
        {"path": "b.ogg", "why": "too short", "detail": "too short for music: 1.0 s"},
        {"path": "c.mka", "why": "unsupported format", "detail": "Matroska audio"},
        {"path": "d\\xe9.ogg", "why": "not readable", "detail": "file name is not valid UTF-8"},
    ]


def test_a_library_servers_track_is_named_by_its_title_only() -> None:
    track = Track(
        id="s1", location="http://nas:8080/a/1", title="Far Away", artist="", source="lan:http://nas:8080"
    )
    listed = held_back_tracks({"s1": Mark(5.0)}, {"s1": track}.get, ["/music"])
    assert listed == [{"title": "Far Away", "artist": "", "path": "", "why": SERVER_AWAY, "since": 5.0}]
