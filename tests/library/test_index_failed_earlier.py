"""A second `moodspeaker index` says the files that failed in the first one, not "0 failed".

Files that failed are not tried again while they are unchanged, so the second run counted none
failed while `library stats` listed them: a user who indexed again to see what was wrong was told
all was well.  Now it says how many failed earlier and where to look (and --json carries the count).
Real command in a subprocess, real files, real index on SQLite.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import synth
from clikit import run_cli


def index(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, "index", "--workers", "1", "--quiet", *args, timeout=240)


def test_a_second_index_says_the_files_that_failed_before(tmp_path: Path) -> None:
    music = tmp_path / "music"
    synth.write(music / "song.wav", synth.song("happy", 2.0))
    (music / "broken.mp3").write_bytes(os.urandom(3000))
    (music / "empty.flac").write_bytes(b"")
    first = index(tmp_path, str(music))
    assert first.returncode == 0, first.stderr
    assert "2 failed (" in first.stdout, first.stdout
    assert "failed earlier" not in first.stdout, first.stdout

    second = index(tmp_path, str(music))
    assert second.returncode == 0, second.stderr
    assert "0 failed (" in second.stdout, second.stdout
    # the commands are said as they can be typed where this ran (util.program: `moodspeaker`, or
    # `<python> -m moodspeaker` when it is not on PATH, as in CI): the same both times
    said = re.compile(
        r"  2 failed earlier, not tried again while unchanged: `(?P<program>[^`]*moodspeaker) library "
        r"stats` lists them, `(?P=program) index --retry-failed` tries them again"
    )
    assert any(said.fullmatch(line) for line in second.stdout.splitlines()), second.stdout

    as_json = json.loads(index(tmp_path, "--json", str(music)).stdout)
    assert (as_json["failed"], as_json["failed_earlier"]) == ([], 2), as_json
    # a folder of its own holds none of them
    other = tmp_path / "other"
    synth.write(other / "tune.wav", synth.song("sad", 2.0))
    assert "failed earlier" not in index(tmp_path, str(other)).stdout
