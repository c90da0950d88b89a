"""Files damaged as a disk rots them: bytes zeroed, the size (and, for a library's file, the mtime)
kept, so that a scan sees nothing changed.  For the tests of tracks that cannot be opened."""

from __future__ import annotations

import os
import struct
from pathlib import Path


def zeroed(path: Path, keep: int = 0, *, target: Path | None = None) -> Path:
    """`path`'s bytes after the first `keep` zeroed, written over it with its mtime kept (else as
    `target`); the file written."""
    st = path.stat()
    data = path.read_bytes()
    out = target or path
    out.write_bytes(data[:keep] + bytes(len(data) - keep))
    if target is None:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return out


def ogg_headers(path: Path) -> int:
    """How many bytes of the Ogg file at `path` come before its first page of audio (a page with a
    granule position): kept alone, libsndfile opens the file and reads no audio from it."""
    data = path.read_bytes()
    at = data.find(b"OggS")
    while at >= 0 and struct.unpack_from("<q", data, at + 6)[0] == 0:
        at = data.find(b"OggS", at + 4)
    assert at > 0, f"{path}: no page of audio"
    return at
