"""Decoders: turn a file (or an in-memory download) into float stereo blocks at the mixer's rate.

Decoding is incremental, block by block, so a long track never sits in memory as PCM and a file that
breaks half-way through is noticed at the block where it breaks: the decoder ramps down there, and
carries on past a damaged stretch of a file on disk (player.carryon), else the player skips it.
libsndfile (via soundfile) reads WAV, FLAC, OGG/Vorbis, Opus and MP3; anything else (AAC/M4A, WMA...)
goes through an `ffmpeg` subprocess when ffmpeg is installed, a download from a temporary copy.
Both give stereo the same way: mono on both sides at full level, a file of 3 or more channels (5.1...)
downmixed by `downmix_matrix` (ITU-R BS.775, normalised); ffmpeg hands on the file's channels as they
are (library.ffmpegpcm: its own downmix was up to 7.7 dB louder).
A `HeldFile` (a LAN library server's download in the speaker's cache) is decoded from its path, ffmpeg
included, and let go when its decoder closes: till then no sweep of the cache deletes it.

A decode call that never returns (ffmpeg sent into a loop by a corrupt or hostile file) blocks the
player thread; its watcher (player.hang) calls `abort` from its own thread, which ends an ffmpeg
decoder's read with a DecodeError naming the hang.  libsndfile decodes inside this process: a call
blocked in it cannot be interrupted (`abort` says so).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import soundfile as sf
import soxr

from moodspeaker.library.downmix import downmix_matrix
from moodspeaker.library.ffmpegpcm import PcmHeaderError, pcm_command, read_wav_header
from moodspeaker.player.carryon import FadeOnFailure
from moodspeaker.player.stream import DamagedDataError, DecodeError, Decoder

__all__ = ["DamagedDataError", "DecodeError", "Decoder", "HeldFile", "open_decoder"]

log = logging.getLogger(__name__)


@dataclass
class HeldFile:
    """A file on disk kept from deletion until `close` (a LAN download held against its cache's
    sweeps): the decoder reading it closes it with itself.  `close` may be called more than once."""

    path: Path
    close: Callable[[], None]


def _to_stereo(block: np.ndarray, matrix: np.ndarray | None = None) -> np.ndarray:
    """Frames x 2 from frames x channels: mono to both sides, 3+ channels through `matrix`
    (`downmix_matrix`; before, only the first two were kept, and a 5.1 file lost its centre)."""
    if block.ndim == 1:
        block = block[:, None]
    if block.shape[1] == 1:
        return np.repeat(block, 2, axis=1)
    if block.shape[1] > 2:
        if matrix is None:
            matrix = downmix_matrix(block.shape[1])
        return np.asarray(block @ matrix, dtype=np.float32)
    return block


class SoundfileDecoder:
    """libsndfile decoding with streaming resampling (soxr) to the mixer's rate."""

    def __init__(
        self,
        source: str | Path | IO[bytes],
        rate: int,
        *,
        start_s: float = 0.0,
        name: str = "",
    ) -> None:
        """A download that libsndfile cannot open stays open: `open_decoder` hands it to ffmpeg, which
        closes it (or closes it at once when there is no ffmpeg)."""
        self._name = name or str(source)
        self._owned = None if isinstance(source, str | Path) else source  # a download: ours to close
        try:
            self._file = sf.SoundFile(source)
        except Exception as exc:  # libsndfile reports unknown formats and broken headers alike
            raise DecodeError(f"{self._name}: cannot open ({exc})") from exc
        self._in_rate = int(self._file.samplerate)
        self._mix = downmix_matrix(int(self._file.channels), str(self._file.format))
        self._rate = rate
        frames = int(self._file.frames) if self._file.frames > 0 else 0
        self.duration_s = frames / self._in_rate if frames else 0.0
        if start_s > 0 and self._file.seekable():
            try:
                self._file.seek(min(int(start_s * self._in_rate), max(0, frames - 1)))
            except Exception as exc:
                raise DecodeError(f"{self._name}: cannot seek to {start_s:.1f} s ({exc})") from exc
        self._resampler = None
        if self._in_rate != rate:
            self._resampler = soxr.ResampleStream(self._in_rate, rate, 2, dtype="float32", quality="HQ")
        self._ended = False

    def read(self, frames: int) -> np.ndarray:
        if self._ended:
            return np.zeros((0, 2), np.float32)
        want = max(1, round(frames * self._in_rate / self._rate))
        try:
            block = self._file.read(want, dtype="float32", always_2d=True)
        except Exception as exc:
            raise DamagedDataError(f"{self._name}: decoding failed ({exc})") from exc
        block = _to_stereo(block, self._mix)
        last = len(block) < want
        if not np.all(np.isfinite(block)):
            raise DamagedDataError(f"{self._name}: decoded samples are not finite (corrupt data)")
        if self._resampler is not None:
            block = self._resampler.resample_chunk(np.ascontiguousarray(block), last=last)
        if last:
            self._ended = True
        return np.ascontiguousarray(block, dtype=np.float32)

    def abort(self, reason: str) -> bool:
        return False  # libsndfile runs in this process: a blocked call cannot be interrupted

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._file.close()
        if self._owned is not None:
            with contextlib.suppress(Exception):
                self._owned.close()


class FfmpegDecoder:
    """Decoding through an ffmpeg subprocess (formats libsndfile lacks) from a file on disk."""

    def __init__(
        self,
        binary: str,
        path: Path,
        rate: int,
        *,
        start_s: float = 0.0,
        duration_s: float = 0.0,
        name: str = "",
        owned: bool = False,
    ) -> None:
        """`binary`: the ffmpeg to run, found by the caller (`_with_ffmpeg`), which also needs to know
        whether there is one: looked up once per file opened, not twice."""
        self._name = name or str(path)
        self._owned = path if owned else None  # a download's temporary copy: deleted on close
        self.duration_s = duration_s
        cmd = pcm_command(binary, path, rate, start_s=start_s)  # the file's channels: see library.ffmpegpcm
        # its messages go to a file, read when it exits: a pipe read only then filled up on a long
        # damaged stretch (a line per bad frame, more than the pipe's 64 KB) and ffmpeg blocked
        # writing there while this read waited for its audio: a hang
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the decoder (`close`)
        # a process group of its own: `abort` and `close` kill whatever holds the pipe open (a wrapper
        # script's child too), else a read could stay blocked after ffmpeg itself was killed
        try:
            self._proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=self._errors, start_new_session=True
            )
        except BaseException as exc:
            self._errors.close()
            if self._owned is not None:
                with contextlib.suppress(OSError):
                    self._owned.unlink()
            if isinstance(exc, OSError):  # removed (or broken) since `shutil.which` found it
                why = exc.strerror or exc
                raise DecodeError(f"{self._name}: cannot run ffmpeg ({binary}: {why})") from exc
            raise
        self._ended = False
        self._aborted = ""  # why `abort` stopped it (the reason the read raises)
        self._channels = 0  # the file's, from the header of ffmpeg's output (read with the first block)
        self._mix: np.ndarray | None = None

    def read(self, frames: int) -> np.ndarray:
        if self._ended or self._proc.stdout is None:
            return np.zeros((0, 2), np.float32)
        if not self._channels:
            try:
                self._channels = read_wav_header(self._proc.stdout.read)
            except PcmHeaderError:
                self._ended_early()
                return np.zeros((0, 2), np.float32)
            self._mix = downmix_matrix(self._channels)  # ffmpeg's channel order is WAV's
        size = 4 * self._channels
        raw = self._proc.stdout.read(frames * size)
        if len(raw) < frames * size:
            self._ended_early()
        usable = len(raw) - len(raw) % size
        block = np.frombuffer(raw[:usable], dtype="<f4").reshape(-1, self._channels)
        return np.array(_to_stereo(block, self._mix), dtype=np.float32)  # a copy: writable

    def _ended_early(self) -> None:
        """ffmpeg's output ended: raises its failure (or the abort), if any."""
        self._ended = True
        code = self._proc.wait()
        if self._aborted:
            raise DecodeError(f"{self._name}: {self._aborted}")
        if code != 0:
            raise DamagedDataError(f"{self._name}: ffmpeg failed ({self._last_error() or code})")

    def _last_error(self) -> str:
        """The last line ffmpeg wrote to its messages ("" if none)."""
        try:
            self._errors.seek(max(0, self._errors.seek(0, os.SEEK_END) - 4096))
            tail = self._errors.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return tail.splitlines()[-1] if tail else ""

    def abort(self, reason: str) -> bool:
        if self._proc.poll() is not None:
            return False  # it ended: no read is blocked in it
        self._aborted = reason
        self._kill()
        return True

    def _kill(self) -> None:
        with contextlib.suppress(OSError):
            os.killpg(self._proc.pid, signal.SIGKILL)  # its own group (start_new_session)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._kill()
        with contextlib.suppress(Exception):
            self._proc.wait(timeout=2)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._errors.close()
        if self._owned is not None:
            with contextlib.suppress(OSError):
                self._owned.unlink()


def _spill(source: IO[bytes]) -> Path:
    """A download (in memory) copied to a temporary file for ffmpeg, which needs to seek in an M4A
    (its index may come last); the caller deletes it."""
    fd, name = tempfile.mkstemp(prefix="moodspeaker-", suffix=".audio")
    try:
        with os.fdopen(fd, "wb") as out:
            source.seek(0)
            shutil.copyfileobj(source, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    finally:
        source.close()
    return Path(name)


def _with_ffmpeg(
    source: str | Path | IO[bytes],
    rate: int,
    first: DecodeError,
    *,
    start_s: float,
    duration_s: float,
    name: str,
) -> Decoder:
    """ffmpeg for what libsndfile could not open (M4A/AAC...), a local file or a download; else
    libsndfile's error (`first`)."""
    binary = shutil.which("ffmpeg")
    if isinstance(source, str | Path):
        if binary is None or not Path(source).is_file():
            raise first
        log.debug("libsndfile cannot read %s (%s); trying ffmpeg", source, first)
        return FfmpegDecoder(binary, Path(source), rate, start_s=start_s, duration_s=duration_s)
    if binary is None:
        source.close()
        raise first
    log.debug("libsndfile cannot read the download of %s (%s); trying ffmpeg", name, first)
    # a download (an M4A from a LAN library server): ffmpeg reads a temporary copy, deleted on close
    copy = _spill(source)
    return FfmpegDecoder(binary, copy, rate, start_s=start_s, duration_s=duration_s, name=name, owned=True)


def open_decoder(
    source: str | Path | IO[bytes] | HeldFile,
    rate: int,
    *,
    start_s: float = 0.0,
    name: str = "",
    duration_s: float = 0.0,
    on_skip: Callable[[float], None] | None = None,
) -> Decoder:
    """The best decoder for `source` (a path, a seekable in-memory file, or a held file: closed with
    the decoder, or at once when it cannot be decoded).  `on_skip`: told the seconds skipped past a
    damaged stretch (player.carryon).

    `duration_s` (the index's, from the tags) is the track's length for a file only ffmpeg reads,
    whose raw stream states none: a decoder without a duration never crossfades, so an M4A/AAC track
    ended in a hard cut whatever `crossfade_s` said."""
    decoder: Decoder
    held = source if isinstance(source, HeldFile) else None
    readable = source.path if isinstance(source, HeldFile) else source
    try:
        try:
            decoder = SoundfileDecoder(readable, rate, start_s=start_s, name=name)
        except DecodeError as first:
            decoder = _with_ffmpeg(readable, rate, first, start_s=start_s, duration_s=duration_s, name=name)
    except BaseException:
        if held is not None:
            held.close()
        raise
    path = Path(readable) if isinstance(readable, str | Path) else None  # a download: not reopened
    return FadeOnFailure(
        decoder,
        rate,
        held.close if held is not None else None,
        reopen=None if path is None else _reopener(path, rate, name=name, duration_s=duration_s),
        start_s=start_s,
        name=f"{name} ({path})" if name and path is not None else name or str(path),
        on_skip=on_skip,
    )


def _reopener(path: Path, rate: int, *, name: str, duration_s: float) -> Callable[[float], Decoder]:
    """How a file on disk is reopened past a damaged stretch (`FadeOnFailure`): with ffmpeg when there
    is one (it resyncs past further damage by itself; libmpg123 gives up after 1024 bytes of garbage
    and cannot seek past it), else with libsndfile seeking there."""

    def reopen(at_s: float) -> Decoder:
        binary = shutil.which("ffmpeg")
        if binary is not None and path.is_file():
            return FfmpegDecoder(binary, path, rate, start_s=at_s, duration_s=duration_s, name=name)
        return SoundfileDecoder(path, rate, start_s=at_s, name=name)

    return reopen
