"""What a speaker's sync checks and notes of a library server's answers (library.lan.client): each
track row (validate_row: a row that fails is skipped and recorded as a problem), the database
identity a server's `info` gives, a mirrored track as the row the mirror takes, and the sync's
outcome (SyncResult; note_sync, shown by `library stats`)."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, track_row
from moodspeaker.library.lan.mirror import ANSWERED, LanError
from moodspeaker.library.track import Track

TRACK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LIBRARY_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_RANGES = {"valence": (-1.0, 1.0), "arousal": (-1.0, 1.0), "energy": (0.0, 1.0), "tempo": (0.0, 400.0),
           "loudness_lufs": (-100.0, 10.0), "mode": (0.0, 1.0), "brightness": (0.0, 1.0)}  # fmt: skip


class ServerReplacedError(LanError):
    """The server's change counter went back: its database is not the one the mirror follows."""


@dataclass
class SyncResult:
    updated: int = 0
    removed: int = 0
    pages: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)


def validate_row(row: Any) -> str | None:
    """Why a track row from a server is unusable, or None when it is fine."""
    if not isinstance(row, Mapping):
        return "not an object"
    if not isinstance(row.get("id"), str) or not TRACK_ID.match(row["id"]):
        return "missing or malformed id"
    for key in ("title", "artist"):
        if not isinstance(row.get(key), str):
            return f"{key} is not text"
    for col in FEATURE_COLUMNS:
        value = row.get(col)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return f"{col} is not a number"
        lo, hi = _RANGES[col]
        if not lo <= value <= hi:
            return f"{col}={value} outside {lo}..{hi}"
    extra = row.get("extra", {})
    if not isinstance(extra, Mapping) or not all(isinstance(v, int | float) for v in extra.values()):
        return "extra is not a mapping of numbers"
    return None


def note_sync(cache: LibraryIndex, error: str | None) -> None:
    """Remember the outcome of the last sync in the mirror (shown by `library stats`)."""
    now = time.time()
    with cache.batch() as b:
        b.set_meta("last_sync", json.dumps({"at": now, "error": error}))
        if error is None:
            b.set_meta(ANSWERED, str(now))


def mirror_row(track: Track) -> dict[str, Any]:
    """A mirrored track as the row `put_remote` takes (a staged copy's, moved into the mirror)."""
    return {**track_row(track), "location": track.location}


def identity_of(info: Mapping[str, Any]) -> str | None:
    """The database identity a server's `info` gives; None when it gives none (an older release)."""
    value = info.get("library_id")
    return value if isinstance(value, str) and LIBRARY_ID.match(value) else None
