"""The household's data in a data folder no speaker runs on: exported and deleted from the files, by
the same functions the running service uses (`moodspeaker privacy export`/`delete-everything`).

Why: the export and "delete everything" were the running service's (ListenerCommands.export_data,
delete_data) and the page's, so a speaker stopped, or run without its page, could not have its data
exported or deleted but by deleting files by hand.  With no speaker running (the caller holds the
data folder's lock, service.datalock, so none starts meanwhile) what the service keeps only in memory
(the tracks started, the flips, the player's play history, health's incidents) is gone with the
process that kept it; the rest is in files: the feedback database (recommend.FeedbackStore, the
Recommender's storage), the neutral-face calibrations, the mood history, the library servers'
downloads, state.json (the queue's explanations and the moods its tracks were picked for) and the
copies of unreadable ones.  The export gives the keys the running service's does (an empty play
history); the deletion leaves what the service's leaves: the configured profiles made again empty,
state.json's queue kept without its explanations and picks, its listener one that exists.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moodspeaker.config import Config
from moodspeaker.recommend.store import FeedbackStore
from moodspeaker.service import plays
from moodspeaker.service.calibration import delete_calibrations, export_calibrations
from moodspeaker.service.forget import ForgottenReasons, delete_set_aside_states, export_saved_states
from moodspeaker.service.mood_history import FILE_NAME as MOOD_HISTORY
from moodspeaker.service.mood_history import clear_file as clear_mood_history
from moodspeaker.service.picked import PickedFor
from moodspeaker.service.privacy_desk import ANSWER_PREFIX
from moodspeaker.service.state import STATE_FILE, Snapshot, StateError, StateStore, from_json

log = logging.getLogger(__name__)

#: The feedback database's name in the data folder (Recommender.from_config's, as build_parts opens it).
FEEDBACK_FILE = "recommend.sqlite"


@contextlib.contextmanager
def _feedback(data_dir: Path) -> Iterator[FeedbackStore]:
    store = FeedbackStore(data_dir / FEEDBACK_FILE)
    try:
        yield store
    finally:
        store.close()


@contextlib.contextmanager
def _feedback_read(data_dir: Path) -> Iterator[FeedbackStore]:
    """The feedback database as it is, for an export: read through a read-only connection and copied
    into memory (FeedbackStore.copy_of), so the export changes nothing of it.  Opened as the service
    does, a database of an older release was migrated in the file and one left with rows in its log
    (a power cut) was checkpointed."""
    store = FeedbackStore.copy_of(data_dir / FEEDBACK_FILE)
    try:
        yield store
    finally:
        store.close()


def _downloads(config: Config, data_dir: Path) -> object:
    """The library servers' clients as the service opens them (service.components.open_library), for
    their download caches; None without library servers or the library extra."""
    if not config.library.servers:
        return None
    try:
        from moodspeaker.library import numba_cache_dir  # noqa: PLC0415 (library extra)
        from moodspeaker.library.lan.downloads import ServerDownloads  # noqa: PLC0415
        from moodspeaker.library.lan.sources import open_remote  # noqa: PLC0415
    except ImportError as exc:
        log.warning("the library servers' downloads are not reached: %s", exc)
        return None
    cache, mb = data_dir / "lan-cache", config.library.server_cache_mb
    clients = []
    for url in config.library.servers:
        try:
            clients.append(open_remote(url, cache, mb, numba_cache_dir(config)))
        except ValueError as exc:
            log.warning("library server skipped: %s", exc)
    return ServerDownloads(clients)


def _saved(data_dir: Path) -> Snapshot | None:
    """state.json as saved; None when there is none or it cannot be read (`StateError`, OSError)."""
    try:
        return from_json((data_dir / STATE_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, StateError) as exc:
        log.warning("%s cannot be read (%s)", data_dir / STATE_FILE, exc)
        return None


def export_data(config: Config, data_dir: Path) -> dict[str, Any]:
    """What ListenerCommands.export_data gives, from the files of a data folder no speaker runs on."""
    snap = _saved(data_dir) or Snapshot()
    held = [i for i in (snap.current, *snap.queue) if i is not None]
    picked = PickedFor()
    picked.restore(held, snap.picked_for, snap.picked_at)  # what a start restores (service.restored)
    moods, times = picked.saved(held)
    profiles: list[str] = []
    exported: dict[str, Any] = {}
    if (data_dir / FEEDBACK_FILE).exists():  # opening it makes it: an export must not write
        with _feedback_read(data_dir) as store:
            profiles = store.profiles()
            exported = {p: store.export(p) for p in profiles}
    return {
        "profiles": exported,
        "neutral_calibrations": export_calibrations(data_dir, profiles),
        "picked_for": moods,
        "picked_at": times,
        "picked_notes": picked.export(),
        **plays.recorded(
            (), (), {"started": [], "failed": []}, ForgottenReasons(picked), _downloads(config, data_dir)
        ),
        **export_saved_states(data_dir),
    }


def state_of(data_dir: Path) -> dict[str, Any]:
    """The track playing and the queue as the service's state gives them (`now_playing`, `queue`: the
    fields the export's explanations read), from state.json."""
    snap = _saved(data_dir) or Snapshot()

    def item(i: Any) -> dict[str, Any]:
        return {"track_id": i.track.id, "title": i.track.title, "artist": i.track.artist, "reason": i.reason}

    return {
        "now_playing": item(snap.current) if snap.current else None,
        "queue": [item(i) for i in snap.queue],
    }


@dataclasses.dataclass
class Deleted:
    """What an offline "delete everything" did: sentences of what went, and of what was left."""

    done: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)


def delete_data(config: Config, data_dir: Path) -> Deleted:
    """ListenerCommands.delete_data(None) on the files: every neutral-face calibration first (a
    refusal leaves the rest: OSError propagates), every profile and its feedback (the configured ones
    made again empty: `config` is the config after its profile names were reset), the mood history, the
    library servers' downloads and notes of failed downloads, state.json's explanations and picks, and
    the copies of unreadable state files last.  sqlite3.Error, OSError or ProfileError propagate from
    the calibrations and the feedback database (nothing said done that was not)."""
    deleted = Deleted()
    calibrations = delete_calibrations(data_dir)
    deleted.done.append(
        f"neutral-face calibrations: {', '.join(p.name for p in calibrations)}"
        if calibrations
        else "neutral-face calibrations: none was saved"
    )
    kept = list(dict.fromkeys((*config.recommend.profiles, config.recommend.profile)))
    with _feedback(data_dir) as store:
        gone = store.profiles()
        rows = sum(store.delete_profile(p) for p in gone)
        for profile in kept:
            store.create_profile(profile, time.time())
        if store.scrub_due:
            deleted.problems.append(
                f"deleted data is still in the log of {store.path}: another program is reading it"
            )
    deleted.done.append(
        f"profiles and their feedback ({rows} rows): {', '.join(gone) or 'none'}; "
        f"made again empty: {', '.join(kept)}"
    )
    try:
        if not clear_mood_history(data_dir):
            deleted.problems.append(
                f"deleted readings are still in the log of {data_dir / MOOD_HISTORY}: another program "
                "is reading it"
            )
        deleted.done.append("the mood history")
    except (sqlite3.Error, OSError) as exc:  # another program writing it, a read-only card
        deleted.problems.append(f"the mood history could not be deleted: {exc}")
    downloads = plays.forget_downloads(_downloads(config, data_dir))
    deleted.done.append(f"library-server downloads and notes of failed downloads: {downloads}")
    deleted.done.append(_scrub_state(data_dir, config, kept))
    for answer in data_dir.glob(f"{ANSWER_PREFIX}*.json"):  # an export a running speaker gave, unread
        answer.unlink(missing_ok=True)
        deleted.done.append(f"an export nobody read: {answer.name}")
    copies = delete_set_aside_states(data_dir)
    if copies:
        deleted.done.append(f"copies of unreadable state files: {', '.join(p.name for p in copies)}")
    return deleted


def _scrub_state(data_dir: Path, config: Config, kept: list[str]) -> str:
    """state.json as the service saves it after a deletion: the queue and position kept, without the
    explanations and the moods they were picked for, the listener one that exists.  A file that cannot
    be read (the service would set it aside at its start, and a deletion delete the copy) is deleted."""
    path = data_dir / STATE_FILE
    snap = _saved(data_dir)
    if snap is None:
        if path.exists():
            path.unlink()
            return f"{path} (unreadable) deleted"
        return "no saved state"

    def bare(i: Any) -> Any:
        return dataclasses.replace(i, reason="")

    profile = snap.profile if snap.profile in kept else config.recommend.profile
    clean = dataclasses.replace(
        snap,
        current=bare(snap.current) if snap.current else None,
        queue=tuple(bare(i) for i in snap.queue),
        profile=profile,
        strategy=config.recommend.strategy,  # the profile's own choice went with its data
        picked_for={},
        picked_at={},
        saved_at=time.time(),
    )
    if not StateStore(data_dir).save(clean):
        raise OSError(f"{path} could not be written")
    return f"{path}: the explanations and the moods the queued tracks were picked for"
