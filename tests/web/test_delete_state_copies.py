"""Delete-everything also deletes the copies of unreadable state files the speaker set aside.

A state.json that cannot be read at start is kept as `state.json.corrupt-<time>` beside it: it holds the
queue's explanations ("you look sad (80% sure)") and the moods the tracks were picked for, like
state.json.  Delete-everything left those copies in the data folder for good.  The real service
(scripted camera) behind the page, logged in as the owner; the copy is written into its data folder
as service.state names one it sets aside (a state.json cut short).  The part the retention is to use
(copies older than its cut-off) is checked on real files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from realkit import RealService
from webkit import AppPage

from moodspeaker.service.forget import delete_set_aside_states

QUOTE = "you look sad (80% sure); calm, slow, minor key; step 1 of 3 towards a brighter mood"


@pytest.mark.timeout(180)
def test_delete_everything_deletes_set_aside_state_files(real: tuple[RealService, AppPage]) -> None:
    service, page = real
    copy = service.data_dir / "state.json.corrupt-20261201-101010"
    copy.write_text('{"version": 1, "current": {"reason": "' + QUOTE + '", "track": {"id": "x"')
    other = service.data_dir / "notes.txt"  # not the speaker's to delete
    other.write_text("keep")
    answer = page.client.post(
        "/privacy/delete", data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"}
    )
    assert answer.status_code == 302
    assert not copy.exists()
    assert other.read_text() == "keep"
    leftovers = [
        p.name for p in service.data_dir.rglob("*") if p.is_file() and QUOTE.encode() in p.read_bytes()
    ]
    assert leftovers == []


def test_retention_deletes_only_older_copies(tmp_path: Path) -> None:
    old = tmp_path / "state.json.corrupt-20261101-000000"
    new = tmp_path / "state.json.corrupt-20261204-000000"
    for path, at in ((old, 1_000_000.0), (new, 3_000_000.0)):
        path.write_text(QUOTE)
        os.utime(path, (at, at))
    (tmp_path / "state.json").write_text("{}")
    assert delete_set_aside_states(tmp_path, before=2_000_000.0) == [old]
    assert new.exists() and (tmp_path / "state.json").exists()
    assert delete_set_aside_states(tmp_path) == [new]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
