"""`moodspeaker privacy export` leaves the feedback database as it found it, whatever its schema.

Why: the export of a data folder no speaker runs on opened recommend.sqlite as the service does, read
and write: a database of an older release was migrated (a column added, the schema version and the
journal mode changed in its header), one a power cut left with rows in its log was checkpointed into
the file, and its mode was changed.  An export must never change the data it exports (an owner
exporting before a downgrade, or to keep a copy as it was).  Now it is read through a read-only
connection (sqlite's mode=ro), copied into memory where an older schema is brought up to date; the
side files SQLite makes for that reader are removed.  Real SQLite files, the real command through the
CLI's main, no speaker running.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from moodspeaker.cli import main
from moodspeaker.config import Config, save, with_changes
from moodspeaker.recommend.store import FeedbackRow, FeedbackStore
from oldstore import write_v1_store


def _files(data: Path) -> dict[str, tuple[bytes, int, int]]:
    """The feedback database's files in the folder (the database, its side files): bytes, mtime, mode."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(data.glob("recommend.sqlite*"))
    }


def _export(tmp_path: Path, data: Path) -> dict[str, Any]:
    path = tmp_path / "config.toml"
    save(with_changes(Config(), {"device.data_dir": str(data)}), path)
    out = tmp_path / "export.json"
    assert main(["-c", str(path), "privacy", "export", "--output", str(out)]) == 0
    body: dict[str, Any] = json.loads(out.read_text())["speaker_data"]["profiles"]
    return body


def _kinds(profiles: dict[str, Any], name: str = "default") -> list[tuple[str, str]]:
    return [(e["track_id"], e["kind"]) for e in profiles[name]["feedback"]]


def test_a_database_of_an_older_release_exports_and_is_left_unchanged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_v1_store(data / "recommend.sqlite", "like")
    before = _files(data)
    profiles = _export(tmp_path, data)
    assert _kinds(profiles) == [("old", "like")]
    assert profiles["default"]["feedback"][0]["seen"] is None  # a column it never had
    assert _files(data) == before  # before: migrated (a column, schema 2, WAL) and made 0600


def test_rows_left_in_the_log_by_a_power_cut_export_and_the_files_are_left_as_they_were(
    tmp_path: Path,
) -> None:
    """The database as a power cut leaves it: rows committed in its -wal, not checkpointed into the
    file (copied while the service's connection is open)."""
    live = tmp_path / "live"
    store = FeedbackStore(live / "recommend.sqlite")
    store.create_profile("default", 0.0)
    store.add(FeedbackRow("default", "t1", "like", "happy", 0.9, 0.5, 0.5, 1e9))
    data = tmp_path / "data"
    data.mkdir()
    for suffix in ("", "-wal"):  # what is on the card after the cut (the -shm is rebuilt from the log)
        shutil.copy2(live / f"recommend.sqlite{suffix}", data / f"recommend.sqlite{suffix}")
    store.close()
    assert (data / "recommend.sqlite-wal").stat().st_size > 0, "the test needs rows in the log"
    before = _files(data)
    profiles = _export(tmp_path, data)
    assert _kinds(profiles) == [("t1", "like")]
    assert _files(data) == before  # before: checkpointed into the file and the log deleted


def test_a_database_that_is_not_one_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "recommend.sqlite").write_bytes(b"not a database at all" * 100)
    os.chmod(data / "recommend.sqlite", 0o600)
    before = _files(data)
    path = tmp_path / "config.toml"
    save(with_changes(Config(), {"device.data_dir": str(data)}), path)
    assert main(["-c", str(path), "privacy", "export", "--output", str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err
    assert "recommend.sqlite" in err and "not a database" in err, err
    assert _files(data) == before
