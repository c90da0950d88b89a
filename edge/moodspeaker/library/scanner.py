"""Walking music folders: audio files with their size and mtime, and every problem met on the way.

The walk never raises for bad input.  Unreadable folders, symlink loops, files that vanish between
listing and stat, and names that are not valid UTF-8 (they cannot be stored or shown reliably) are
reported as `Problem`s, and the folders that could not be read are listed so that the indexer
does not mistake "could not look" for "deleted" (an unmounted NAS share must not empty the index).

Symbolic links are followed only after every real file and folder: a file reachable both by its own
path and through a link is indexed under its own path, whatever order the folder listing comes in (the
listing order is arbitrary, so the chosen path, and with it the track's identity, changed between
scans).  Hidden entries (names starting with a dot) are skipped: a USB disk's `.Trash-1000` holds
deleted music, and macOS leaves a `._song.mp3` metadata file (not audio) next to every song.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from moodspeaker.library.payload import audio_hash, legacy_hash
from moodspeaker.library.suffixes import AUDIO_SUFFIXES, UNSUPPORTED_SUFFIXES


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str  # unreadable, missing, symlink-loop, vanished, bad-name, empty, unsupported...
    reason: str


@dataclass
class WalkResult:
    files: list[FileEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # folders whose contents are unknown
    roots: list[str] = field(default_factory=list)  # roots that could be read


def printable(path: str) -> str:
    """A path safe to store and show: undecodable bytes become \\xNN escapes."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def walk(
    folders: Iterable[str | os.PathLike[str]], on_found: Callable[[int], None] | None = None
) -> WalkResult:
    """Every audio file under `folders` (following symlinks, each real folder once).

    `on_found(count)` after each folder listed: the files found so far (a large share takes a while)."""
    result = WalkResult()
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[str] = set()
    stack: list[str] = []
    for folder in folders:
        root = os.path.abspath(os.path.expanduser(os.fspath(folder)))
        try:
            st = os.stat(root)
        except OSError as exc:
            result.problems.append(
                Problem(printable(root), "missing", f"folder not available: {exc.strerror}")
            )
            result.unreadable.append(root)
            continue
        if not stat.S_ISDIR(st.st_mode):
            result.problems.append(Problem(printable(root), "missing", "not a folder"))
            result.unreadable.append(root)
            continue
        result.roots.append(root)
    stack.extend(reversed(result.roots))  # the first root is listed first
    links: list[os.DirEntry[str]] = []  # followed once every real entry of every root is in
    while stack or links:
        if not stack:
            _visit(links.pop(0), result, stack, seen_files, links=None)
            continue
        current = stack.pop()
        if not _is_utf8(current):  # every path under it is unusable: said once, for the folder
            result.problems.append(
                Problem(
                    printable(current),
                    "bad-name",
                    "folder name is not valid UTF-8; rename the folder to index its files",
                )
            )
            continue
        try:
            cst = os.stat(current)
        except OSError as exc:
            result.problems.append(Problem(printable(current), "unreadable", str(exc.strerror or exc)))
            result.unreadable.append(current)
            continue
        key = (cst.st_dev, cst.st_ino)
        if key in seen_dirs:
            if os.path.islink(current):
                result.problems.append(
                    Problem(printable(current), "symlink-loop", "symbolic link to a folder already scanned")
                )
            continue
        seen_dirs.add(key)
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except OSError as exc:
            result.problems.append(Problem(printable(current), "unreadable", str(exc.strerror or exc)))
            result.unreadable.append(current)
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue  # hidden: a trash folder, macOS's ._ metadata files
            _visit(entry, result, stack, seen_files, links=links)
        if on_found is not None:
            on_found(len(result.files))
    return result


def _visit(
    entry: os.DirEntry[str],
    result: WalkResult,
    stack: list[str],
    seen_files: set[str],
    *,
    links: list[os.DirEntry[str]] | None,
) -> None:
    """One listed entry: a folder goes on `stack`, an audio file into `result`; a symbolic link is
    put on `links` for later (when `links` is given) so that real paths are seen first."""
    if links is not None:
        try:
            is_link = entry.is_symlink()
        except OSError:
            is_link = False
        if is_link:
            links.append(entry)
            return
    try:
        is_dir = entry.is_dir(follow_symlinks=True)
    except OSError:
        is_dir = False
    if is_dir:
        stack.append(entry.path)
        return
    suffix = os.path.splitext(entry.name)[1].lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        _unsupported(entry.path, UNSUPPORTED_SUFFIXES[suffix], result, seen_files)
        return
    if suffix not in AUDIO_SUFFIXES:
        if links is None and not os.path.exists(entry.path) and _dangling_folder(entry.path):
            # a link to a folder elsewhere (a NAS share, a USB disk) whose target is not mounted: its
            # contents are unknown, not deleted (a dead link to a picture is passed over as a picture is)
            result.problems.append(
                Problem(
                    printable(entry.path),
                    "unmounted-link",
                    "link to something not available (disk unmounted?); its tracks are kept",
                )
            )
            result.unreadable.append(entry.path)
        return
    if not _is_utf8(entry.path):
        result.problems.append(
            Problem(
                printable(entry.path), "bad-name", "file name is not valid UTF-8; rename the file to index it"
            )
        )
        return
    try:
        st = entry.stat(follow_symlinks=True)
    except FileNotFoundError:
        kind = "vanished" if not os.path.islink(entry.path) else "broken-link"
        result.problems.append(Problem(entry.path, kind, "listed, then gone (or a dangling link)"))
        return
    except OSError as exc:
        result.problems.append(Problem(entry.path, "unreadable", str(exc.strerror or exc)))
        return
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        result.problems.append(
            Problem(entry.path, "not-a-file", "not a regular file (pipe, socket or device)")
        )
        return
    real = os.path.realpath(entry.path)
    if real in seen_files:
        return  # the same file reached twice (through links): index it once, real paths came first
    seen_files.add(real)
    result.files.append(FileEntry(entry.path, st.st_size, st.st_mtime_ns))


#: What else a music folder holds, by suffix: a dangling link of such a name (or to such a name) is a
#: link to a file that is gone, not to a folder whose disk is unmounted.  A list of its own, not the
#: system's MIME types: those also know ".Ros" and ".me", and band and album names have dots in them
#: ("Vol.II", "Sigur.Ros", "Feat.Me"); a name not listed stays a folder, whose tracks are kept.
OTHER_FILE_SUFFIXES = frozenset(
    {
        *(".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".heic", ".ico", ".svg"),
        *(".txt", ".nfo", ".pdf", ".log", ".cue", ".md5", ".sfv", ".ffp", ".lrc", ".accurip", ".sha1"),
        *(".db", ".ini", ".url", ".htm", ".html", ".xml", ".json", ".rtf", ".doc", ".docx"),
        *(".m3u", ".m3u8", ".pls", ".wpl", ".xspf"),
        *(".zip", ".rar", ".7z", ".tar", ".gz"),
        *(".mkv", ".avi", ".mov", ".webm", ".m4v", ".wmv", ".mpg", ".mpeg"),
    }
)
_FILE_SUFFIXES = OTHER_FILE_SUFFIXES | AUDIO_SUFFIXES | frozenset(UNSUPPORTED_SUFFIXES)


def _dangling_folder(path: str) -> bool:
    """Whether the dangling link `path` stands for a folder (a share or disk that is not mounted)
    rather than a file that is gone: it is one unless its name or its target's ends in the suffix of
    a file (a picture, a playlist, audio...) and its target does not end in a slash."""
    try:
        target = os.readlink(path)
    except OSError:
        return True  # cannot tell: taken as a folder, whose tracks are kept
    if target.endswith("/"):
        return True
    names = (os.path.basename(path), os.path.basename(target))
    return not any(os.path.splitext(name)[1].lower() in _FILE_SUFFIXES for name in names)


def _unsupported(path: str, why: str, result: WalkResult, seen_files: set[str]) -> None:
    """A file in an audio format the speaker cannot index (a .mka, an iTunes .m4p): said, once per
    file, as a problem (`library stats`, the scan's count) rather than passed over as a picture is."""
    if not os.path.isfile(path):
        return  # a dangling link or a pipe with such a name: nothing to say that a user can act on
    real = os.path.realpath(path)
    if real in seen_files:
        return
    seen_files.add(real)
    result.problems.append(Problem(printable(path), "unsupported", f"unsupported format: {why}"))


def content_hash(path: str, size: int) -> str:
    """Identity of a file's audio: its payload without tag blocks, sampled (see library.payload), so a
    tag-only edit keeps it (and the analysis) while any change to the audio's ends or length does not."""
    return audio_hash(path, size)


def is_under(path: str, folders: Iterable[str]) -> bool:
    return any(path == folder or path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)


__all__ = [
    "FileEntry",
    "Problem",
    "WalkResult",
    "content_hash",
    "is_under",
    "legacy_hash",
    "printable",
    "walk",
]
