"""`moodspeaker privacy export`/`delete-everything` with the speaker running on the data folder.

Why: the deletion must go through the running service, so that what it keeps in memory goes too (the
page's mood history store, the explanations of the tracks held by the player, the tracks started, the
MQTT stats sent again on `data_deleted`), as the page's deletion does; files deleted under it would
be written back from memory.  The real service run by the runner as `moodspeaker run` runs it
(followkit), with and without its page, holding the data folder's lock as `run` does; the real
command through the CLI's main.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from followkit import serving
from servicekit import wait_for

from moodspeaker.cli import main
from moodspeaker.config import save, with_changes
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, StateChanged
from moodspeaker.service.runner import Faces

pytestmark = pytest.mark.timeout(240)


@contextmanager
def _speaker(tmp_path: Path, web: bool) -> Iterator[tuple[Appliance, Faces, Path, list[Event]]]:
    """The running speaker holding its folder's lock, listing Sam, with a Like written and music
    playing with its explanations."""
    with serving(tmp_path, web=web) as (app, faces, path, events):  # holding the lock (followkit)
        listed = {"recommend.profiles": ["default", "Sam"]}
        app.apply_config(with_changes(app.config, listed))
        save(with_changes(app.config, {**listed, "recommend.queue_length": 4}), path)
        wait_for(lambda: app.state()["now_playing"], what="a track playing")
        ControlAPI(app, app.bus).execute("like")
        wait_for(lambda: _feedback(app), what="the Like written")
        wait_for(lambda: app.state()["health"]["reasons"], what="an explanation in health")
        wait_for(lambda: app.export_data()["tracks_started"], what="a track started")
        yield app, faces, path, events


def _feedback(app: Appliance) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = app.export_data()["profiles"]["default"]["feedback"]
    return rows


def _exported(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["-c", str(path), "privacy", "export"]) == 0
    body: dict[str, Any] = json.loads(capsys.readouterr().out)
    return body


@pytest.mark.parametrize("web", [True, False])
def test_the_running_speaker_exports_and_deletes(
    tmp_path: Path, web: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    with _speaker(tmp_path, web) as (app, faces, path, events):
        body = _exported(path, capsys)
        # what only the running service keeps: the tracks started, health's explanations
        assert body["speaker_data"]["tracks_started"]
        assert body["explanations"]["started_last"]
        assert [r["kind"] for r in body["speaker_data"]["profiles"]["default"]["feedback"]] == ["like"]
        if web:
            assert "happy" in [r["mood"] for r in body["mood_history"]]
            generation = faces.web.ctx.history.generation

        asked_at = time.time()
        assert main(["-c", str(path), "privacy", "delete-everything", "--yes"]) == 0
        said = capsys.readouterr().out
        assert f"deleted by the speaker running on {tmp_path / 'data'}" in said
        assert "Everything is deleted" in said

        # the running service's memory, not only its files
        assert _feedback(app) == []
        state = app.state()
        assert state["health"]["reasons"] == []
        assert sorted(state["profiles"]) == ["default"]  # Sam, listed by the file, reset as the page does
        assert app.config.recommend.profiles == ("default",)
        assert "Sam" not in path.read_text()
        assert app.export_data()["tracks_started"] == []
        assert any(isinstance(e, StateChanged) and e.key == "data_deleted" for e in events)  # MQTT
        if web:
            assert faces.web.ctx.history.generation == generation + 1  # its queued samples dropped
            assert all(r["ts"] >= asked_at for r in faces.web.ctx.history.export())  # only those since
        with sqlite3.connect(tmp_path / "data" / "recommend.sqlite") as db:
            assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0
        assert not list((tmp_path / "data").glob("privacy-*"))  # request and answer gone

        again = _exported(path, capsys)
        assert again["speaker_data"]["profiles"]["default"]["feedback"] == []
        assert not again["explanations"]["started_last"]
