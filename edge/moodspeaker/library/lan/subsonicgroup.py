"""One group of an OpenSubsonic sync: its songs downloaded into the staging, analysed there, written
to the mirror and moved into the download cache (library.lan.subsonic's module doc says why staged,
and why a group is as many songs as fit).  Split from SubsonicLibrary: the sync's own loop stays
there."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moodspeaker.library.lan.audiocache import DownloadError, TooLargeError
from moodspeaker.library.lan.subsonicsongs import (
    REFUSED,
    TOO_LARGE,
    UNFETCHED,
    VERSIONS,
    SubsonicSync,
    listed_size,
    mirror_row,
)

if TYPE_CHECKING:
    from moodspeaker.library.emotion import EmotionModel
    from moodspeaker.library.lan.subsonic import SubsonicLibrary
    from moodspeaker.library.workers import AnalysisPool

log = logging.getLogger(__name__)


def analyse_group(
    lib: SubsonicLibrary,
    sids: list[str],
    *,
    listed: Mapping[str, Mapping[str, Any]],
    now: Mapping[str, str],
    versions: dict[str, str],
    refused: dict[str, int],
    pool: AnalysisPool,
    model: EmotionModel,
    result: SubsonicSync,
) -> list[str]:
    """Download these songs of `lib` (staged: library.lan.subsonic's module doc) and analyse them
    there, each held until its analysis is written, then moved into the download cache, set aside
    (the caller sweeps); the mirror takes their rows and fingerprints in one batch (one write of the
    fingerprints per few songs, not per song).  A song that cannot be downloaded keeps what the
    mirror had (tried again at the next sync; noted, `UNFETCHED`, until it downloads or leaves the
    server), unless it is too large (module doc: its refusal is kept in `refused`); a changed song
    whose new file cannot be analysed or is refused leaves the mirror: its analysis was of audio the
    server no longer has (its download is deleted).  Returns those left for a later group."""
    with contextlib.ExitStack() as held:
        files: dict[str, str] = {}
        too_large: dict[str, str] = {}
        unfetched: dict[str, str] = {}  # the other downloads that failed: why
        holds: dict[str, contextlib.ExitStack] = {}  # each closed just before its file moves in
        later: list[str] = []  # no room left beside the staged files (listed sizes too short)
        for n, sid in enumerate(sids):
            if n and not lib.audio.room_for(lib._versions, listed_size(listed[sid], lib.audio.max_bytes)):
                later = sids[n:]
                break
            holds[sid] = held.enter_context(contextlib.ExitStack())
            try:
                path = holds[sid].enter_context(lib.staging.held(functools.partial(lib._copy, sid, now[sid])))
            except TooLargeError as exc:
                too_large[sid] = (
                    f"stream of {sid}: {exc}; tried again when the file changes"
                    " or library.server_cache_mb grows"
                )
                result.failed.append((sid, too_large[sid]))
                continue
            except DownloadError as exc:
                unfetched[sid] = f"stream of {sid}: {exc}; tried again at the next sync"
                result.failed.append((sid, unfetched[sid]))
                continue
            files[str(path)] = sid
            lib._downloaded(lib._track(sid))  # its next play plays this copy: a failed one is over
        done = [(files[r.path], r) for r in pool.analyse(list(files))]
        with lib.cache.batch() as b:
            for sid, why in unfetched.items():  # noted (`library stats`) until it downloads
                b.problem(f"{lib.source}/{sid}", UNFETCHED, why)
            for sid, why in too_large.items():
                b.problem(f"{lib.source}/{sid}", TOO_LARGE, why)
                if sid in versions:
                    b.remove_id(lib._track(sid))
                versions[sid] = now[sid]
                refused[sid] = lib.audio.max_bytes  # the bound `todo` compares with
            for sid, r in done:
                refused.pop(sid, None)
                noted = f"{lib.source}/{sid}"
                if r.analysis is None:
                    result.failed.append((sid, r.error or "analysis failed"))
                    b.problem(noted, "analysis", r.error or "analysis failed")
                    if sid in versions:
                        b.remove_id(lib._track(sid))
                else:
                    loc = lib.api.location(sid)  # no credential (SubsonicApi.location)
                    row = mirror_row(
                        lib._track(sid), loc, listed[sid], r.analysis.features, model, server=lib.base_url
                    )
                    b.put_remote(row, lib.source)
                    b.clear_problem(noted)
                    result.analysed += 1
                    result.changed += int(sid in versions)
                versions[sid] = now[sid]
            b.set_meta(VERSIONS, json.dumps(versions, sort_keys=True))
            b.set_meta(REFUSED, json.dumps(refused, sort_keys=True))
        for sid, r in done:
            if r.analysis is not None:
                try:  # let go once adopt holds it (a clear meanwhile must not delete it), not
                    # after: held in the cache, a sweep could not delete it yet counted it
                    lib.audio.adopt(Path(r.path), lib._track(sid), now[sid], release=holds[sid].close)
                except OSError as exc:  # not kept: its first play downloads it
                    log.warning("%s: cannot keep the download of %s: %s", lib.base_url, sid, exc)
            holds[sid].close()
    with contextlib.suppress(OSError):  # the rest (failed analyses, leftovers of a power cut)
        lib.staging.clear()  # every file not in use goes (none is: syncs run one at a time)
    return later
