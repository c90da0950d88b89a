"""Build the appliance's parts from the configuration: camera, vision pipeline, library, recommender.

Each part comes from its own package's factory (the vision helper's make_camera / make_detector /
make_classifier / VisionPipeline, the library's LibraryIndex, the recommender's from_config); this
module only chooses, records what was chosen (Edge TPU or CPU and why) and turns a missing or broken
part into one clear sentence.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from moodspeaker.config.load import data_dir
from moodspeaker.config.schema import Config
from moodspeaker.library.left_out import failed_earlier, not_readable
from moodspeaker.library.track import Track
from moodspeaker.player.fetch import StreamCache
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import TrackSource
from moodspeaker.service.app import Parts
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.health import library_state, tpu_state
from moodspeaker.service.inference import FrameSource, Pipeline
from moodspeaker.service.scan_state import Rescan, ScanListener

if TYPE_CHECKING:
    from moodspeaker.library.scan_summary import ScanSummary
    from moodspeaker.library.workers import AnalysisPool

log = logging.getLogger(__name__)


class PartError(RuntimeError):
    """A part the service cannot run without is missing or broken; the message says which and why."""


class Libraries:
    """The local index and any LAN library mirrors as one track source for the recommender.

    `feature_matrix()` returns the same list object while no part changed, which is how the
    recommender knows it can keep its prepared arrays (see recommend.source.CatalogueView).
    """

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts
        # (key, ids, rows) as one value under a lock: the planner, a rescan and the health report
        # call feature_matrix from their own threads, and ids must never meet another build's rows
        self._lock = threading.Lock()
        # the key holds the parts' id lists themselves, not their id(): a list freed once its part
        # changed could give its id() to the part's next list, and the old build would come back
        self._built: tuple[tuple[list[str], ...], list[str], np.ndarray] = (
            (),
            [],
            np.zeros((0, 0), np.float32),
        )

    def tracks(self) -> list[Track]:
        return [t for part in self.parts for t in part.tracks()]

    def get(self, track_id: str) -> Track | None:
        for part in self.parts:
            found: Track | None = part.get(track_id)
            if found is not None:
                return found
        return None

    def stats(self) -> dict[str, Any]:
        """The local index's counts (the first part): with nothing playable, the recommender says
        "not analysed yet: N tracks waiting" rather than "the library is empty"."""
        stats = getattr(self.parts[0], "stats", None) if self.parts else None
        return dict(stats()) if callable(stats) else {}

    def has_tracks_under(self, folder: str) -> bool:
        """Whether a part's analysed track is inside the music folder `folder` (the local index's:
        the mirrors' tracks are the servers', never in a folder here)."""
        return any(part.has_tracks_under(folder) for part in self.parts if hasattr(part, "has_tracks_under"))

    def feature_matrix(self) -> tuple[list[str], np.ndarray]:
        results = [part.feature_matrix() for part in self.parts]
        key = tuple(ids for ids, _ in results)
        with self._lock:  # one build at a time: callers with the same parts get the same list
            held = self._built[0]
            if len(key) != len(held) or any(a is not b for a, b in zip(key, held, strict=True)):
                ids = [i for part_ids, _ in results for i in part_ids]
                matrix = np.concatenate([np.asarray(m, np.float32) for _, m in results], axis=0)
                self._built = (key, ids, matrix)
            _, ids, matrix = self._built
        return ids, matrix


def open_library(config: Config, say: Callable[[str], None] = log.info) -> tuple[Any, LibraryRescan]:
    """The library source (local index + LAN servers) and the `LibraryRescan` that brings it up to
    date, reporting its counts to `progress` as it goes (see service.scan_state)."""
    from moodspeaker.library import db_path, numba_cache_dir  # noqa: PLC0415 (library extra)
    from moodspeaker.library.index import LibraryIndex  # noqa: PLC0415
    from moodspeaker.library.lan.sources import open_remote  # noqa: PLC0415

    local = LibraryIndex(db_path(config))
    lans = []
    cache, mb = data_dir(config) / "lan-cache", config.library.server_cache_mb
    for url in config.library.servers:
        try:
            # ours or OpenSubsonic; a library server's downloads are kept up to server_cache_mb, and
            # an OpenSubsonic sync analyses with the JIT cache every analyser shares
            lans.append(open_remote(url, cache, mb, numba_cache_dir(config)))
        except ValueError as exc:
            say(f"library server skipped: {exc}")
    source = Libraries([local, *lans]) if lans else local
    return source, LibraryRescan(config, local, lans, say)


class LibraryRescan:
    """One pass of a library rescan per call (local folders, then LAN servers): one sentence back.

    The analysis workers are kept from one call to the next until `close()`: each new worker process
    pays librosa's JIT warm-up (seconds, minutes on a cold cache), and the passes of one merged rescan
    (Rescan pressed again during a scan) follow each other at once.  The service closes it when the
    whole run ends (service.rescan), so idle workers never hold memory between runs; any other caller
    must call `close()` when done, as the service does."""

    def __init__(self, config: Config, local: Any, lans: list[Any], say: Callable[[str], None]) -> None:
        from moodspeaker.library.lan.downloads import ServerDownloads  # noqa: PLC0415 (library extra)

        self._config = config
        #: the download caches of the library servers synced here, by stream URL: what the service's
        #: player plays their tracks from (`build_parts` hands it over: Parts.downloads)
        self.downloads = ServerDownloads(lans)
        self._local = local
        self._lans = lans
        self._say = say
        self._pool: AnalysisPool | None = None  # made on the first pass that has folders to scan
        self._started_before = 0  # worker sets started by the pools already closed

    @property
    def workers_started(self) -> int:
        """Worker sets started so far, over every run (each one paid the JIT warm-up): one per run
        that analysed something, more only after a crashed or stuck worker restarted them."""
        return self._started_before + (self._pool.executors_started if self._pool is not None else 0)

    @property
    def holds_workers(self) -> bool:
        """Whether a run's analysis workers are kept (between its passes; False once it is closed)."""
        return self._pool is not None

    def close(self) -> None:
        """The run is over: stop the analysis workers."""
        pool, self._pool = self._pool, None
        if pool is not None:
            self._started_before += pool.executors_started
            pool.close()

    def __call__(self, progress: ScanListener | None = None, /) -> str:
        from moodspeaker.library import numba_cache_dir  # noqa: PLC0415 (library extra)
        from moodspeaker.library.indexer import Indexer  # noqa: PLC0415 (analysis pulls in librosa)
        from moodspeaker.library.lan.sources import SyncError, prune_mirrors, sync_remote  # noqa: PLC0415
        from moodspeaker.library.workers import AnalysisPool  # noqa: PLC0415

        config = self._config
        counts: dict[str, int] = {}

        def report(phase: str, summary: ScanSummary) -> None:
            counts.update(scan_counts(summary))
            if progress is not None:
                progress(phase, counts)

        said: list[str] = []
        configured = [Path(f).expanduser() for f in config.library.folders]
        folders = [f for f in configured if f.is_dir()]
        if folders:
            if self._pool is None:
                lib = config.library
                self._pool = AnalysisPool(lib.workers, lib.excerpt_s, numba_cache_dir(config))
            indexer = Indexer(self._local, self._pool, min_track_s=config.library.min_track_s)
            known = _problem_paths(self._local)  # the last scan's problems: warned about then
            summary = indexer.scan([str(f) for f in folders], on_progress=report)
            said.append(scan_line(summary, failed_earlier(self._local, summary, [str(f) for f in folders])))
            said += [f"{path}: {why}" for path, kind, why in summary.problems if kind == "empty"]
            warn_new(summary, known)
        else:
            said.append("no music folder found")
        # a folder that is gone (an unplugged disk's mount point removed) keeps its tracks: say so
        said += [f"{f}: not found (disk unmounted?)" for f in configured if not f.is_dir()]
        # a server no longer configured (or its URL changed) leaves nothing (lan.sources's doc)
        gone = prune_mirrors(data_dir(config) / "lan-cache", self._lans)
        said += [f"{name}: no longer in library.servers, its mirror and downloads deleted" for name in gone]
        # while a sync waits for another one of its server (a `library sync` run by hand), the
        # progress callback is asked too: it raises when the speaker stops (service.rescan)
        waiting = None if progress is None else lambda: progress("syncing", counts)
        for lan in self._lans:
            if progress is not None:
                progress("syncing", counts)
            try:
                # as `library sync`: a first sync that fails keeps no mirror
                result = sync_remote(lan, waiting=waiting)
                # both kinds count what the mirror took anew (OpenSubsonic: analysed + retagged)
                said.append(f"{lan.base_url}: {result.updated} updated, {result.removed} removed")
            except SyncError as exc:
                said.append(f"{lan.base_url}: {exc}")
        text = "; ".join(said)
        self._say(f"library: {text}")
        return text


def scan_line(summary: ScanSummary, failed_earlier: int = 0) -> str:
    """The counts of a local scan, as the page's "Scan finished (…)" and the log say them: files found
    at a new place (renamed or moved: they keep their ids and feedback), files that failed to decode
    this pass, files or folders the walk could not read (an unreadable folder, a name that is not
    UTF-8, a dangling link...) and files in formats it cannot index (a .mka, an iTunes .m4p:
    library.suffixes.UNSUPPORTED_SUFFIXES) are said when there are any, and so are the failed files
    from earlier scans (not tried again until they change: `moodspeaker index --retry-failed`).
    Which ones and why: the log's warnings and `moodspeaker library stats`."""
    unread = not_readable(kind for _, kind, _ in summary.problems)
    unsupported = sum(1 for _, kind, _ in summary.problems if kind == "unsupported")
    return (
        f"{summary.files} files, {summary.added} new, {summary.updated} changed, "
        f"{summary.analysed} analysed, {summary.removed} removed"
        + (f", {summary.moved} moved" if summary.moved else "")  # renamed/moved: kept their ids
        + (f", {summary.short} too short (library.min_track_s)" if summary.short else "")
        + (f", {len(summary.failed)} failed" if summary.failed else "")
        + (f", {failed_earlier} failed earlier" if failed_earlier else "")
        + (f", {unread} not readable" if unread else "")
        + (f", {unsupported} in unsupported formats" if unsupported else "")
    )


def warn_new(summary: ScanSummary, known: set[tuple[str, str]]) -> None:
    """One warning per file that failed in this pass and per problem the last scan did not have
    (`known`: its (path, kind)s), "path: reason": a failure or an unreadable folder is said once, when
    it is met, not again at every rescan while it stays."""
    for path, reason in summary.failed:
        log.warning("library: %s: %s", path, reason)
    for path, kind, reason in summary.problems:
        if kind not in {"too-short", "empty"} and (path, kind) not in known:
            log.warning("library: %s: %s", path, reason)


def _problem_paths(index: Any) -> set[tuple[str, str]]:
    """The (path, kind) of each scan problem the index holds (the last scan's)."""
    return {(p["path"], p["kind"]) for p in index.stats().get("problems", [])}


def scan_counts(summary: ScanSummary) -> dict[str, int]:
    """A library ScanSummary's counts under the names of service.scan_state's PASS/RUN_COUNTS."""
    return {
        "seen": summary.files,
        "checked": summary.checked,
        "done": summary.done,
        "total": summary.to_analyse,
        "short": summary.short,  # files kept out as shorter than library.min_track_s (also from before)
        "added": summary.added,
        "updated": summary.updated,
        "removed": summary.removed,
        "moved": summary.moved,  # renamed or moved: kept their ids (not counted as added and removed)
        "analysed": summary.analysed,
        "failed": len(summary.failed),
    }


def vision_factories(
    config: Config,
) -> tuple[
    Callable[[], FrameSource], Callable[[], Pipeline], tuple[str, ...], dict[str, tuple[ComponentState, str]]
]:
    """Camera and pipeline factories (called again by the watchdog on a restart), classes, states."""
    try:
        faces = importlib.import_module("moodspeaker.vision.faces")
        pipeline = importlib.import_module("moodspeaker.vision.pipeline")
        sources = importlib.import_module("moodspeaker.vision.sources")
        make_classifier = importlib.import_module("moodspeaker.vision.expression").make_classifier
    except ImportError as exc:
        raise PartError(f"the vision package is not available ({exc})") from exc

    states: dict[str, tuple[ComponentState, str]] = {}
    try:
        probe = make_classifier(config.classifier)
    except Exception as exc:  # ModelError, a corrupt file, an interpreter that will not load
        raise PartError(f"the expression model cannot be loaded: {exc}") from exc
    states["tpu"] = tpu_state(config.classifier.type, probe)  # the appliance follows it while running
    classes = tuple(probe.classes)
    first: list[Any] = [probe]

    def make_pipeline() -> Pipeline:
        classifier = first.pop() if first else make_classifier(config.classifier)
        detector = faces.make_detector(config.detector)
        built: Pipeline = pipeline.VisionPipeline(detector, classifier, config)
        return built

    def make_source() -> FrameSource:
        source: FrameSource = sources.make_camera(config.camera)
        return source

    return make_source, make_pipeline, classes, states


def build_parts(
    config: Config,
    data_dir: Path,
    *,
    library: TrackSource | None = None,
    rescan: Rescan | None = None,
) -> Parts:
    """Everything `Appliance` needs, from the config (raises PartError when vision is unusable)."""
    make_source, make_pipeline, classes, states = vision_factories(config)
    downloads: StreamCache | None = None
    if library is None:
        library, opened = open_library(config)
        rescan, downloads = opened, opened.downloads  # the player plays from the same LAN clients
    source = library
    # health's library_state, as after a rescan: a configured music folder unplugged at start is
    # "missing" from the start, not "ok" until the first rescan.  Counted from the ids of the analysed
    # tracks' feature rows (kept by the source, and the recommender's first plan reads the same), not
    # len(tracks()), which built a Track of every row only to count them
    states["library"] = library_state(source, config.library.folders, source.feature_matrix()[0])
    recommender = Recommender.from_config(config, source, data_dir / "recommend.sqlite")
    return Parts(
        make_source=make_source,
        make_pipeline=make_pipeline,
        recommender=recommender,
        classes=classes,
        rescan=rescan,
        states=states,
        downloads=downloads,
    )


def with_data_dir(config: Config, data_dir: Path) -> Config:
    return dataclasses.replace(config, device=dataclasses.replace(config.device, data_dir=str(data_dir)))
