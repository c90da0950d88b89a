"""One factory for every remote library in `library.servers`, and the one way to sync it.

- http(s)://host:port                         a Moodspeaker library server (`library serve`)
- subsonic+http(s)://user:password@host:port  an OpenSubsonic server (Navidrome, Gonic, ...)
Both answer tracks()/get()/feature_matrix()/query() from a local mirror and have sync() (LanError
when the server cannot be reached; the mirror stays usable).  `sync_remote` is what `library sync`
and the service's rescan both call, so a wrong URL leaves no mirror behind either way.

A server taken out of `library.servers` (or whose URL changed: the mirror's folder is named by it)
leaves nothing behind after the service's next rescan (`prune_mirrors`): its mirror, downloads and
notes are deleted whole.  Kept, they were reached by nothing any more: no sync migrated or scrubbed
them (an old mirror's salted login tokens stayed), and the privacy retention and "delete
everything" go through the configured servers' clients only.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from moodspeaker.library.lan.client import LanError, LanLibrary, SyncResult
from moodspeaker.library.lan.mirror import delete_mirror
from moodspeaker.library.lan.subsonic import SubsonicLibrary, SubsonicSync
from moodspeaker.util.net import SUBSONIC_PREFIX

__all__ = ["SUBSONIC_PREFIX", "Remote", "SyncError", "open_remote", "prune_mirrors", "sync_remote"]

log = logging.getLogger(__name__)

Remote = LanLibrary | SubsonicLibrary


def open_remote(
    url: str, cache_dir: str | Path, audio_cache_mb: int | None = None, numba_cache: str | Path | None = None
) -> Remote:
    """The right client for `url`; ValueError for a URL that is neither.  Nothing is written yet:
    the mirror is made by the first sync.  `audio_cache_mb` is library.server_cache_mb (its default
    when None): each server's downloads, of either kind, are kept up to it.  `numba_cache` is
    library.numba_cache_dir(config), the JIT cache an OpenSubsonic sync analyses with (without it,
    $NUMBA_CACHE_DIR or numba's default: librosa's kernels compiled again, minutes on a Pi)."""
    bound = None if audio_cache_mb is None else audio_cache_mb * 2**20
    if url.startswith(SUBSONIC_PREFIX):
        remote = url[len(SUBSONIC_PREFIX) :]
        return SubsonicLibrary(remote, cache_dir, audio_cache_bytes=bound, numba_cache=numba_cache)
    return LanLibrary(url, cache_dir, audio_cache_bytes=bound)


def prune_mirrors(cache_dir: str | Path, keep: Iterable[Remote]) -> list[str]:
    """Delete the mirror folders in `cache_dir` (every server's, as `open_remote` places them) that
    are none of `keep`'s, the servers configured now (module doc); returns the folders' names (a
    server's host and port, never its credentials).  A folder with a sync in progress stays, for the
    next call (mirror.delete_mirror); one that cannot be deleted is logged and stays too."""
    kept = {Path(r.root).resolve() for r in keep}
    gone: list[str] = []
    folders = sorted(Path(cache_dir).iterdir()) if Path(cache_dir).is_dir() else []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink() or folder.resolve() in kept:
            continue
        try:
            if delete_mirror(folder):
                gone.append(folder.name)
                log.info("%s: the mirror of a server no longer in library.servers deleted", folder)
        except OSError as exc:
            log.warning("%s: mirror of a server no longer configured not deleted: %s", folder, exc)
    return gone


class SyncError(LanError):
    """A sync failed; `kept` is how many tracks the last good copy still offers, None when this was
    the first sync and nothing was kept.  The message says which, after the reason."""

    def __init__(self, reason: str, kept: int | None) -> None:
        self.reason = reason
        self.kept = kept
        what = "nothing kept" if kept is None else f"{kept} tracks still usable from the last good sync"
        super().__init__(f"{reason}; {what}")


def sync_remote(remote: Remote, **options: Any) -> SyncResult | SubsonicSync:
    """Sync `remote` (options go to its sync()); SyncError when it fails.

    A mirror whose server never answered a sync before (a mistyped URL, something that is not a
    library server, a port nobody listens on) is removed with whatever this sync wrote, so `library
    stats` does not list it; a mirror that once synced keeps its last good copy to play from.  Both
    are decided under the sync's lock (`_FirstSync`).  Decided before it, a sync that waited
    through another one's first sync (the service's rescan beside a `library sync` run by hand) had
    found no good sync yet, and its failure deleted the mirror the other had just made; and a
    Ctrl-C while it waited deleted the other's first sync in progress.
    """
    verdict = _FirstSync(remote)
    try:
        return remote.sync(guard=verdict.guard, **options)
    except LanError as exc:
        if verdict.kept_a_mirror():
            raise SyncError(str(exc), len(remote.tracks())) from exc
        raise SyncError(str(exc), None) from exc


class _FirstSync:
    """Whether a sync of `remote` is its server's first (`first`: None until the sync's lock was
    taken and `guard` entered), and the guard that decides it and removes a failed first sync's
    mirror (sync_remote)."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        self.first: bool | None = None

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Under the sync's lock, around the sync: whether the server never answered a sync, and if
        so, the mirror removed when the sync fails (a LanError, or Ctrl-C or a crash in the middle
        of it: no half mirror either).  Before the lock is let go: the next sync must find the
        mirror as this one left it."""
        self.first = not self.remote.ever_answered()
        try:
            yield
        except BaseException:
            if self.first:
                self.remote.discard()
            raise

    def kept_a_mirror(self) -> bool:
        """After a failed sync: whether a last good mirror stays (not this one's first sync; when
        it failed before it held the lock, the mirror on disk decides)."""
        return not self.first if self.first is not None else self.remote.has_mirror()
