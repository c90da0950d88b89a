"""What a scan found and did (library.indexer.Indexer.scan), counted as it goes.

A module of its own, free of the library extra's imports (librosa, the analysis pool): the service
and library.left_out read a scan's counts without pulling in the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The phases of a scan, in order, as `on_progress` names them.
PHASES = ("walking", "checking", "removing", "analysing")


@dataclass
class ScanSummary:
    """What a scan found and did; while it runs (`on_progress`), the counts so far."""

    files: int = 0  # audio files found in the folders (so far, while walking)
    checked: int = 0  # of those, compared with the index
    added: int = 0  # new files (not indexed before)
    updated: int = 0  # indexed files whose content changed
    to_analyse: int = 0  # files queued for analysis (new, changed, and left pending by an earlier scan)
    done: int = 0  # of those, finished (analysed, failed or vanished)
    analysed: int = 0
    skipped: int = 0  # unchanged (a file still kept out as too short counts in `short` instead)
    reused: int = 0  # moved/copied/touched/retagged files whose analysis was kept
    moved: int = 0  # of those, files found at a new place (renamed, moved): they kept their track ids
    removed: int = 0  # (a moved file's old place is not counted)
    # files kept out as shorter than min_track_s at the end of the scan (those it kept out are also in
    # `problems`; those kept out before and unchanged are not listed again): why a user's files are not
    # played is a number of files, not of changes, and the page, MQTT and the CLI all show this one
    short: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0


def count_change(summary: ScanSummary, *, new: bool, changed: bool) -> None:
    """A file (re)written to the index: new to it, or indexed before and changed since (a failed file
    tried again as it was is neither)."""
    if new:
        summary.added += 1
    elif changed:
        summary.updated += 1
