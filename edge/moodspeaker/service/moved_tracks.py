"""Queued tracks brought up to date from the library by id: a file moved plays from its new place.

Why a module of its own: a file renamed or moved keeps its track id (library.moved), but the
player's queue, the track it resumes or is paused on, the plays a replay goes back to and state.json
hold Tracks, paths included, as they were when queued.  A track queued (or playing, restored at its
position after a power cut, or replayed) when its file moved failed to open, and its "missing" mark,
now on the id it kept, held the moved track back from the picks (service.feedback).  So the service
swaps each held track for the library's current Track of the same id (new location, tags, peak),
keeping position, order, reason and repeat: at start before the saved queue is restored
(`current_snapshot`), and after each rescan pass (`follow_library`).  A track whose id the library no
longer has is left as it is: it fails to open and is skipped as missing, as before.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Iterable

from moodspeaker.library.track import Track
from moodspeaker.player.engine import Player, PlayerStatus
from moodspeaker.player.queue import QueueItem, retracked
from moodspeaker.service.state import Snapshot

log = logging.getLogger(__name__)


def current_tracks(items: Iterable[QueueItem], source: object) -> dict[str, Track]:
    """The tracks of `items` whose current Track in `source` (its `get(id)`: the library index, the
    LAN mirrors, a Catalogue) differs from the one held, by id.  A source without `get`, or one that
    cannot be read now (the index's database locked or gone), changes nothing: logged, not raised."""
    get = getattr(source, "get", None)
    if not callable(get):
        return {}
    changed: dict[str, Track] = {}
    for item in items:
        tid = item.track.id
        if tid in changed:
            continue
        try:
            found = get(tid)
        except (sqlite3.Error, OSError) as exc:
            log.warning("queued tracks not brought up to date from the library: %s", exc)
            return changed
        if isinstance(found, Track) and found != item.track:
            changed[tid] = found
    return changed


def current_snapshot(snap: Snapshot, source: object) -> Snapshot:
    """`snap` (state.json as loaded) with its current track and queue brought up to date from
    `source`: a file moved since it was saved resumes from its new place."""
    held = [*([snap.current] if snap.current is not None else []), *snap.queue]
    tracks = current_tracks(held, source)
    if not tracks:
        return snap
    log.info("restored: %d tracks moved or retagged since they were saved, taken as now", len(tracks))
    return dataclasses.replace(
        snap,
        current=retracked(snap.current, tracks) if snap.current is not None else None,
        queue=tuple(retracked(i, tracks) for i in snap.queue),
    )


def follow_library(player: Player, status: PlayerStatus, source: object) -> int:
    """After a rescan: the player's queued tracks, the one it plays or resumes (those of `status`,
    the status as commands act on it) and those a replay goes back to (`Player.heard`) replaced by
    `source`'s current ones (`Player.retrack`); how many tracks changed.  The lookups run here, not
    on the player thread (an index read may wait)."""
    held = [*([status.current] if status.current is not None else []), *status.queue, *player.heard()]
    tracks = current_tracks(held, source)
    if tracks:
        log.info("library rescan: %d queued tracks moved or retagged, queued as they are now", len(tracks))
        player.retrack(tracks)
    return len(tracks)
