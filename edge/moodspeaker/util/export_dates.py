"""The data export's times as dates a person can read: ISO 8601 in UTC, not seconds since 1970.

Why: the export ("everything this speaker keeps about its listeners") is for the listener to read,
and its times came as the numbers the speaker keeps (`1764972000.123`), which say nothing to a person
without a program.  Nothing reads an export back (there is no import), so the dates replace the
numbers.  The speaker's own records and `export_data` keep their numbers (the retention compares
them); the page converts the whole export once, here, by the names the records give their times,
and so does one profile's export written to a file (recommend.profiles.write_export).  Here, not in
the page's package: the speaker's package does not import the page's.

Files the export gives as they are on disk (state.json and its set-aside copies, the neutral-face
calibrations) are left as they are: what is kept is what the export shows, to the byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: The names of the export's times, whatever record carries them (a mood sample's and a feedback
#: event's `ts`, a profile's `created`, a play's `started_at`, a note's `at`, a download's
#: `last_used_at` and `failed_at`, a set-aside copy's `modified_at`, the export's own `exported_at`).
TIME_KEYS = frozenset(
    {"ts", "at", "created", "started_at", "modified_at", "last_used_at", "failed_at", "exported_at"}
)
#: Mappings whose every value is a time (`picked_at`: track id -> when it was picked).
TIMES_BY_KEY = frozenset({"picked_at"})
#: Copies of files as they are on disk: not changed (module doc).
AS_ON_DISK = frozenset({"saved_state", "calibration", "text"})


def iso(ts: float) -> str | None:
    """`ts` (`time.time()`) as ISO 8601 in UTC, to the millisecond: 2026-12-05T21:58:11.123Z.  None
    for 0 (or less): a time not known, such as the `created` of a profile the configuration lists
    (made at 0, so they sort first), which as a date read "1970-01-01"."""
    if ts <= 0:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dated(value: Any) -> Any:
    """`value` (the export, JSON-ready) with each time under a name of TIME_KEYS or in a mapping of
    TIMES_BY_KEY as `iso`; a time not known (None, 0) is None, and copies of files stay as they are."""
    if isinstance(value, Mapping):
        return {key: _entry(str(key), item) for key, item in value.items()}
    if isinstance(value, list):
        return [dated(item) for item in value]
    return value


def _entry(key: str, item: Any) -> Any:
    if key in AS_ON_DISK:
        return item
    if key in TIME_KEYS and _is_time(item):
        return iso(float(item))
    if key in TIMES_BY_KEY and isinstance(item, Mapping):
        return {k: iso(float(v)) if _is_time(v) else v for k, v in item.items()}
    return dated(item)


def _is_time(item: Any) -> bool:
    return isinstance(item, int | float) and not isinstance(item, bool)
