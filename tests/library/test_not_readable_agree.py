"""The scan line and the library's health count "not readable" alike (library.left_out).

The scan line (service.components.scan_line: the page's "Scan finished (…)", the log) counted a music
folder that is not there as "not readable", the health detail (service.health.library_state: the
page's health, Home Assistant's library sensor) did not: one scan, "2 not readable" and "1 not
readable".  A missing folder is said with its path already (the health's "missing" state,
`moodspeaker index`'s "could not scan"), so neither counts it now; a file the walk could not read
(here a pipe) both count.

Real files, the real indexer and workers on a real SQLite index; the same scan read by both.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import synth

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.service.components import scan_line
from moodspeaker.service.health import library_state


def _not_readable(text: str) -> int:
    match = re.search(r"(\d+) not readable", text)
    return int(match.group(1)) if match else 0


def test_a_missing_folder_is_counted_by_neither(tmp_path: Path, pool: AnalysisPool) -> None:
    music, unplugged = tmp_path / "music", tmp_path / "usb-disk"  # the second is configured, not there
    synth.write(music / "song.wav", synth.song("happy", 3.0))
    os.mkfifo(music / "pipe.mp3")  # not a regular file: not readable
    index = LibraryIndex(tmp_path / "lib.db")
    folders = [str(music), str(unplugged)]
    summary = Indexer(index, pool).scan(folders)
    assert sorted(kind for _, kind, _ in summary.problems) == ["missing", "not-a-file"], summary.problems
    line = scan_line(summary)
    _state, detail = library_state(index, folders)
    assert (_not_readable(line), _not_readable(detail)) == (1, 1), (line, detail)
