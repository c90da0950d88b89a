"""The records of what was played, and when: how the privacy retention, "delete everything" and the
data export reach them.

Why a module of its own: a record that ties a time to a track played is the household's listening
history, personal data as the feedback is, and the running service keeps three such records besides
the feedback: every track start (`ApplianceCore.started_tracks`, the last 500, recorded on each
TrackStarted: what the latency bench and tests measure a mood change by), each time a mood changed the
music and the track it changed to (the conductor's flips, trimmed by `Conductor.forget_flips`), and
the player's play history (the tracks started last, which a replay goes back to, and those skipped
as unplayable, which health shows: player.history).  The download caches of library servers record
it too, in their files' times (`forget_downloads`).  They were cut by neither the retention nor
"delete everything", and the export ("everything this speaker keeps about its listeners") left
them out.  None of them is saved in state.json or restored at start.

Starts and flips are timed on the monotonic clock, so their age decides (a wall clock set by NTP
after boot moves); the export dates them by the wall clock.  What a deletion costs: a replay can no
longer go back to a track started before it (the track playing can still be played again), and
health's list of tracks skipped as unplayable starts afresh.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from moodspeaker.library.lan.audiocache import AudioCache
from moodspeaker.player.engine import Player
from moodspeaker.service.forget import ForgottenReasons
from moodspeaker.util.clock import monotonic_of, wall_dates

log = logging.getLogger(__name__)

#: How long a deletion waits for the player to publish its status without what was deleted.
STATUS_WAIT_S = 5.0


def forget(
    starts: deque[tuple[float, str]], lock: threading.RLock, player: Player, before: float | None = None
) -> int:
    """The privacy retention (`before`, a `time.time()`) or "delete everything" (None): the track
    starts recorded before it go, the service's (`starts`) and the player's (player.history; and its
    failures from the published status at once, `Player.forget_plays`).  `lock`: one trimmer at a
    time (the event thread only appends).  Returns how many records went."""
    with lock:
        if before is None:
            gone = len(starts)
            starts.clear()
        else:
            since, gone = monotonic_of(before), 0
            while starts and starts[0][0] < since:
                starts.popleft()
                gone += 1
    gone += player.forget_plays(before)
    # the status (health's failed tracks) without them before the deletion is reported done (MQTT
    # republishes the stats then); a player thread that is stuck cannot hold the deletion up
    player.when_idle().wait(STATUS_WAIT_S)
    return gone


def forget_downloads(downloads: object, before: float | None = None) -> int:
    """The same for the library servers' download caches (library.lan.audiocache): each file's times
    say when its track was last played, so those last used before `before` (all: None) are deleted
    (`AudioCache.forget_uses`), and the notes of downloads that failed then, which the mirrors keep
    until the track downloads (library.lan.mirror).  Deleting everything also deletes what an
    OpenSubsonic sync staged for analysis (`staging`: left there by a sync cut short).
    `downloads`: the service's `Parts.downloads` (ServerDownloads, or None without library
    servers).  Returns how many files and notes went."""
    gone = 0
    for client in getattr(downloads, "clients", ()):
        cache: AudioCache = client.audio
        try:
            gone += cache.forget_uses(before)
        except OSError as exc:  # an unreadable folder: the rest is deleted all the same
            log.warning("%s: downloads not deleted: %s", cache.folder, exc)
        staging: AudioCache | None = getattr(client, "staging", None)
        if before is None and staging is not None:  # an interrupted sync's analysis copies too
            try:
                gone += staging.clear()  # (a sync's copies in use stay: it moves them in or deletes them)
            except OSError as exc:
                log.warning("%s: analysis downloads not deleted: %s", staging.folder, exc)
        try:  # and the mirror's notes of downloads that failed, each with when
            gone += client.forget_failed_downloads(before)
        except (OSError, sqlite3.Error) as exc:
            log.warning("%s: notes of failed downloads not deleted: %s", client.root, exc)
    return gone


def downloaded(downloads: object) -> list[dict[str, Any]]:
    """What the download caches keep (`forget_downloads`): each track and when it was last played.
    A copy no play used yet (`aside`: an OpenSubsonic song's analysis download) has no date (its
    file times say when it was downloaded, which is no play), nor have a sync's analysis downloads
    (`analysing`: staged beside the cache, or left there by a sync cut short)."""
    found = []
    for client in getattr(downloads, "clients", ()):
        found += [
            {"track_id": e.track_id, "file": e.path.name,
             "last_used_at": None if e.aside else round(e.used_ns / 1e9, 3), "aside": e.aside,
             "analysing": False}
            for e in client.audio.entries()
        ]  # fmt: skip
        staging: AudioCache | None = getattr(client, "staging", None)
        entries = staging.entries() if staging is not None else []
        found += [
            {"track_id": e.track_id, "file": e.path.name, "last_used_at": None, "aside": True,
             "analysing": True}
            for e in entries
        ]  # fmt: skip
    return found


def export(
    starts: Iterable[tuple[float, str]],
    flips: Iterable[tuple[float, str]],
    player: Player,
    forgotten: ForgottenReasons,
    downloads: object = None,
) -> dict[str, Any]:
    """What is kept of the plays, JSON-ready, with `time.time()` dates: every track start
    (`tracks_started`), each time a mood changed the music and the track it changed to
    (`mood_changes`), and the player's play history (`play_history`: the tracks started last and those
    skipped as unplayable), without an explanation taken back (service.forget), and the library
    servers' downloads with when each was last used (`downloaded`) and the notes of those that
    failed, with when and why (`failed_downloads`)."""
    return recorded(starts, flips, player.plays(), forgotten, downloads)


def recorded(
    starts: Iterable[tuple[float, str]],
    flips: Iterable[tuple[float, str]],
    history: dict[str, list[dict[str, Any]]],
    forgotten: ForgottenReasons,
    downloads: object = None,
) -> dict[str, Any]:
    """`export` of a play history as `Player.plays` gives it (`history`; a speaker not running has an
    empty one: none of these records but the downloads outlives the process)."""
    for entry in history["started"]:
        entry["reason"] = forgotten.reason(str(entry["reason"]), str(entry["track_id"]))
    return {
        "tracks_started": _dated(starts, "started_at"),
        "mood_changes": _dated(flips, "at"),
        "play_history": history,
        "downloaded": downloaded(downloads),
        "failed_downloads": [f for c in getattr(downloads, "clients", ()) for f in c.failed_downloads()],
    }


def _dated(entries: Iterable[tuple[float, str]], key: str) -> list[dict[str, Any]]:
    """(monotonic time, track id) records as JSON-ready entries dated by the wall clock."""
    dated = wall_dates()
    return [{key: dated(at), "track_id": track_id} for at, track_id in list(entries)]
