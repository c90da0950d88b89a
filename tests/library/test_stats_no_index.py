"""`moodspeaker library stats` before anything was indexed reads, and writes nothing.

Why: on a data folder with no index the command opened the index as the indexer does, which made an
empty `library.db` (its WAL files and the schema: "applying migration 1"), so a look at the library
changed the data folder and left a database that says nothing was indexed.  The real CLI in a fresh
data folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moodspeaker.library.index import LibraryIndex

pytestmark = pytest.mark.timeout(240)


def _stats(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "moodspeaker",
        "--set",
        f"device.data_dir={data}",
        "library",
        "stats",
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=200, check=False, env={**os.environ})


@pytest.mark.parametrize("made", [True, False], ids=["empty data folder", "no data folder"])
def test_stats_without_an_index_says_so_and_creates_nothing(tmp_path: Path, made: bool) -> None:
    data = tmp_path / "data"
    if made:
        data.mkdir()
    res = _stats(data)
    assert res.returncode == 0, res.stderr
    assert f"no library indexed yet in {data} (run moodspeaker index)" in res.stdout, res.stdout
    assert "migration" not in res.stderr, res.stderr
    assert sorted(os.listdir(tmp_path)) == (["data"] if made else [])
    if made:
        assert os.listdir(data) == []


def test_stats_json_without_an_index_is_an_empty_library(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    res = _stats(data, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["indexed"], out["tracks"], out["analysed"], out["remotes"]) == (False, 0, 0, [])
    with LibraryIndex(":memory:") as empty:  # what an index with nothing in it says, key for key
        assert {k: v for k, v in out.items() if k not in ("indexed", "remotes")} == empty.stats()
    assert os.listdir(data) == []
