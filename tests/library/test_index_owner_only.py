"""The library index (library.db, its -wal and -shm) is readable by its owner alone, as README says of
the speaker's data files and as the LAN mirror's is: it was made with the umask's 0644.  A file made
before is tightened when it is opened.  Real SQLite files under the usual umask 022."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.library.index import LibraryIndex, Tags


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(db: Path) -> dict[str, int]:
    return {
        p.name: stat.S_IMODE(p.stat().st_mode)
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"))
        if p.exists()
    }


def _write_one(index: LibraryIndex, folder: Path) -> None:
    with index.batch() as b:
        b.upsert_file(str(folder / "a.flac"), 1000, 1, "hash", Tags(title="a", duration_s=60.0))


def test_a_new_index_and_its_side_files_are_the_owners_alone(tmp_path: Path) -> None:
    db = tmp_path / "data" / "library.db"
    index = LibraryIndex(db)
    try:
        _write_one(index, tmp_path)
        modes = _modes(db)
        assert set(modes) == {"library.db", "library.db-wal", "library.db-shm"}, modes
        assert modes == dict.fromkeys(modes, 0o600), {k: oct(v) for k, v in modes.items()}
    finally:
        index.close()


def test_an_index_made_before_readable_by_others_is_tightened_when_opened(tmp_path: Path) -> None:
    db = tmp_path / "library.db"
    LibraryIndex(db).close()
    os.chmod(db, 0o644)
    keep = sqlite3.connect(db)  # another process holding it open: its -wal and -shm stay
    try:
        keep.execute("SELECT count(*) FROM tracks").fetchall()
        for side in ("-wal", "-shm"):
            os.chmod(f"{db}{side}", 0o644)
        index = LibraryIndex(db)
        try:
            modes = _modes(db)
            assert len(modes) == 3 and modes == dict.fromkeys(modes, 0o600), {
                k: oct(v) for k, v in modes.items()
            }
        finally:
            index.close()
    finally:
        keep.close()
