"""Where the audio bytes come from: a local path as is, a LAN URL downloaded ahead of time.

A track of a LAN library server is fetched by a background worker while the previous track still
plays, so starting it costs nothing and a flaky network never stalls the mixer.  The player is
handed the speaker's download caches (`StreamCache`, by whoever builds it: the service wires the
same LAN clients the recommender reads, library.lan.downloads).  Through them the track's client
(the `LanLibrary` or `SubsonicLibrary` that mirrored it) fetches it into that server's download
cache, or finds it there: a track heard before plays again without a download, with the server off
too.  The download is held (their `playing`) from the fetch until its decoder closes
(`decode.HeldFile`), so no sweep of the cache deletes it while it waits or plays.  Any other URL
(any URL of a player given no caches) is fetched whole into a spooled buffer (memory up to a
limit, then an anonymous temp file).  Nothing here touches camera frames.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import enum
import http.client
import logging
import tempfile
import threading
import urllib.error
import urllib.request
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from moodspeaker.library.lan.transfer import AnsweredError, CutShortError, TooLargeError
from moodspeaker.library.track import Track
from moodspeaker.player.decode import HeldFile

log = logging.getLogger(__name__)

Source = Path | IO[bytes] | HeldFile
Fetched = IO[bytes] | HeldFile  # what a fetch of a URL gives, the caller's to close
_BLOCK = 256 * 1024


class StreamCache(Protocol):
    """Which download cache serves a stream URL: given to the player by whoever builds it, so what it
    plays from is in its constructor (the service's own LAN clients), never found through a global
    another speaker in the same process (a second service, a `library sync`) could answer."""

    def hold(self, url: str) -> AbstractContextManager[Path] | None:
        """The track at `url` as a file in its cache, fetched there on entering if need be (raising
        then when it cannot be) and kept from deletion until the block ends; None when no cache
        serves `url`.  Nothing is fetched before the block is entered."""
        ...


class Got(enum.Enum):
    """How far a track's audio came before it could not be played (`Obtained`)."""

    AUDIO = "audio"  # all of it (the file, the whole download): it could not be decoded
    NOTHING = "nothing"  # no file, or no answer from its server (off, out of reach, too slow)
    GONE = "gone"  # its server answered that it has no such track (HTTP 404, 410)
    REFUSED = "refused"  # its server answered with another error (an HTTP status) or no audio
    CUT_SHORT = "cut short"  # the download began, then broke off or ended early
    TOO_LARGE = "too large"  # larger than a download may be


@dataclass(frozen=True)
class Obtained:
    """What became of a track's audio that could not be played, for the service's health to give the
    true cause (player.history.OnMissing): a server that answered 404 or sent part of the file was
    reachable, and "unreachable?" sent the owner to check one that works.  `said`: the server's
    answer or the bound passed, naming no track ("HTTP 404", "200 MB"); "" when there is none."""

    got: Got
    said: str = ""


AUDIO = Obtained(Got.AUDIO)
NOTHING = Obtained(Got.NOTHING)


class FetchError(RuntimeError):
    """A track's audio could not be obtained (missing file, server error, too large): how far it came
    is `obtained`."""

    def __init__(self, message: str, obtained: Obtained = NOTHING) -> None:
        super().__init__(message)
        self.obtained = obtained


def answered(status: int | None) -> Obtained:
    """A server's answer with no file: HTTP `status` (None: an answer that is not audio)."""
    if status in (404, 410):
        return Obtained(Got.GONE, f"HTTP {status}")
    return Obtained(Got.REFUSED, "not audio" if status is None else f"HTTP {status}")


def _obtained(exc: BaseException) -> Obtained:
    """How far a download into a cache came, from the failure `exc` and its causes (a client's
    LanError raised from the library.lan.transfer error that says it)."""
    cause: BaseException | None = exc
    for _ in range(8):  # a chain of causes is short; never follow a cycle for ever
        if cause is None:
            break
        if isinstance(cause, TooLargeError):
            return Obtained(Got.TOO_LARGE, f"{cause.max_bytes // 2**20} MB, library.server_cache_mb")
        if isinstance(cause, CutShortError):
            return Obtained(Got.CUT_SHORT)
        if isinstance(cause, AnsweredError):
            return answered(cause.status)
        cause = cause.__cause__
    return NOTHING


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def download(url: str, *, timeout_s: float, max_bytes: int, memory_bytes: int) -> IO[bytes]:
    """Fetch `url` into a spooled temp file (rewound); raises FetchError with the reason."""
    buffer: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=memory_bytes)  # noqa: SIM115 (returned)
    began = False  # the server answered with the file: a failure from now on cuts it short
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            began, total = True, 0
            while True:
                block = response.read(_BLOCK)
                if not block:
                    break
                total += len(block)
                if total > max_bytes:
                    too_large = Obtained(Got.TOO_LARGE, f"{max_bytes // 2**20} MB")
                    raise FetchError(f"{url}: larger than {max_bytes // 2**20} MB; not played", too_large)
                buffer.write(block)
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) != total:
                cut = Obtained(Got.CUT_SHORT)
                raise FetchError(f"{url}: download cut short ({total} of {expected} bytes)", cut)
    except FetchError:
        buffer.close()
        raise
    except urllib.error.HTTPError as exc:  # the server answered, with no file
        buffer.close()
        raise FetchError(f"{url}: download failed ({exc})", answered(exc.code)) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        buffer.close()
        how = Obtained(Got.CUT_SHORT) if began else NOTHING
        raise FetchError(f"{url}: download failed ({exc})", how) from exc
    buffer.seek(0)
    return buffer


def held(cached: AbstractContextManager[Path], url: str) -> HeldFile:
    """The track's download in its cache (`StreamCache.hold`: fetched first if need be), held until
    the result is closed; raises FetchError with the reason (the server is off and it was never heard)."""
    hold = contextlib.ExitStack()
    try:
        path = hold.enter_context(cached)
    except Exception as exc:  # LanError (the server), OSError (the cache's disk)
        hold.close()
        said = str(exc).removeprefix(url + ": ")
        raise FetchError(f"{url}: download failed ({said})", _obtained(exc)) from exc
    return HeldFile(path, hold.close)


def _close(future: concurrent.futures.Future[Fetched]) -> None:
    """Let go of what a fetch nobody will open gives, once it is done (now if it is)."""
    if future.cancel():
        return

    def done(f: concurrent.futures.Future[Fetched]) -> None:
        if not f.cancelled() and f.exception() is None:
            f.result().close()

    future.add_done_callback(done)


class Prefetcher:
    """Fetches upcoming tracks in one background thread; keeps at most a few results."""

    def __init__(
        self,
        *,
        timeout_s: float = 20.0,
        max_mb: int = 200,
        memory_mb: int = 32,
        keep: int = 3,
        caches: StreamCache | None = None,
    ) -> None:
        """`caches`: where the URLs kept in a download cache are played from (the module doc)."""
        self._caches = caches
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self._lock = threading.Lock()
        self._futures: dict[str, concurrent.futures.Future[Fetched]] = {}
        self._timeout_s = timeout_s
        self._max_bytes = max_mb * 2**20
        self._memory_bytes = memory_mb * 2**20
        self._keep = keep

    def want(self, track: Track) -> None:
        """Start fetching `track` if it is remote and not already fetched."""
        if not is_url(track.location):
            return
        with self._lock:
            if track.id in self._futures:
                return
            cached = self._caches.hold(track.location) if self._caches is not None else None
            future: concurrent.futures.Future[Fetched]
            if cached is not None:
                future = self._pool.submit(held, cached, track.location)
            else:
                future = self._pool.submit(
                    download,
                    track.location,
                    timeout_s=self._timeout_s,
                    max_bytes=self._max_bytes,
                    memory_bytes=self._memory_bytes,
                )
            self._futures[track.id] = future
            while len(self._futures) > self._keep:
                oldest = next(iter(self._futures))
                self._drop(oldest)

    def _drop(self, track_id: str) -> None:
        _close(self._futures.pop(track_id))

    def ready(self, track: Track) -> bool:
        """True when `open` would not block (local file, or download finished either way)."""
        if not is_url(track.location):
            return True
        self.want(track)
        with self._lock:
            return self._futures[track.id].done()

    def open(self, track: Track) -> Source:
        """The source to decode; for a URL the finished download (handed over, not kept): the
        caller closes it (a held one: its decoder, `decode.open_decoder`)."""
        if not is_url(track.location):
            path = Path(track.location).expanduser()
            if not path.is_file():
                raise FetchError(f"{path}: no such file")
            return path
        self.want(track)
        with self._lock:
            future = self._futures.pop(track.id)
        try:
            return future.result(timeout=self._timeout_s + 5)
        except concurrent.futures.TimeoutError as exc:
            _close(future)  # it may still finish: a held download is let go then
            raise FetchError(f"{track.location}: download timed out") from exc

    def close(self) -> None:
        with self._lock:
            for track_id in list(self._futures):
                self._drop(track_id)
        self._pool.shutdown(wait=False, cancel_futures=True)
