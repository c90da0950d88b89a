"""`moodspeaker privacy export` and `privacy delete-everything` on a data folder no speaker runs on.

Why: the export and "delete everything" existed only on the page and in the running service, so a
speaker run without its page (`--no-web`, Home Assistant households), stopped, or whose page's
password was lost, had no way to export or delete its personal data short of deleting files by hand.
The data is made by the real service (servicekit's appliance run by the runner, its page recording
the mood history, a Like written by the real recommender), the calibration by the real
NeutralCalibration; then the real command, through the CLI's main, with no speaker running.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from followkit import serving
from servicekit import wait_for

from moodspeaker.cli import main
from moodspeaker.config import Config, save, with_changes
from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.mood.classes import ALL_EXPRESSIONS
from moodspeaker.recommend.store import FeedbackRow, FeedbackStore
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.datalock import hold_data_folder

pytestmark = pytest.mark.timeout(240)


def _feedback(data: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data / "recommend.sqlite") as db:
        return [(r[0], r[1]) for r in db.execute("SELECT profile, kind FROM feedback")]


def _kept(tmp_path: Path) -> Path:
    """A data folder with what a speaker keeps: feedback (a Like), the page's mood history, state.json
    with the queue's explanations, a neutral-face calibration, and the config file listing Sam;
    returns the config file (the speaker stopped)."""
    with serving(tmp_path, web=True) as (app, faces, path, _events):
        data = tmp_path / "data"
        app.apply_config(with_changes(app.config, {"recommend.profiles": ["default", "Sam"]}))
        save(with_changes(app.config, {"recommend.profiles": ["default", "Sam"]}), path)
        control = ControlAPI(app, app.bus)
        wait_for(lambda: (app.state()["now_playing"] or {}).get("reason"), what="a track with its reason")
        control.execute("like")
        wait_for(lambda: _feedback(data), what="the Like written")
        wait_for(lambda: faces.web.ctx.history.count() > 0, what="the page's mood history")
    classes = list(ALL_EXPRESSIONS)
    fitted = NeutralCalibration.fit(np.full((3, len(classes)), 1 / len(classes)), classes)
    calibration_file(data, "Sam").parent.mkdir(parents=True, exist_ok=True)
    calibration_file(data, "Sam").write_text(fitted.to_json())
    return path


def _export(path: Path, out: Path) -> dict[str, Any]:
    assert main(["-c", str(path), "privacy", "export", "--output", str(out)]) == 0
    assert out.stat().st_mode & 0o077 == 0  # personal data: the caller's only
    body: dict[str, Any] = json.loads(out.read_text())
    return body


def test_export_then_delete_everything_with_no_speaker_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _kept(tmp_path)
    data = tmp_path / "data"
    body = _export(path, tmp_path / "export.json")
    assert "happy" in [r["mood"] for r in body["mood_history"]]
    events = body["speaker_data"]["profiles"]["default"]["feedback"]
    assert [e["kind"] for e in events] == ["like"]
    assert "Sam" in body["speaker_data"]["neutral_calibrations"]
    assert body["explanations"]["now_playing"]["reason"]  # from state.json, as the page gives it
    assert body["speaker_data"]["saved_state"]["current"]["reason"]
    assert body["speaker_data"]["picked_for"]
    assert body["settings"]["recommend"]["profiles"] == ["default", "Sam"]
    assert body["exported_at"].endswith("Z")  # the page's dates

    unread = data / "privacy-answer-0123456789abcdef0123456789abcdef.json"  # a Ctrl-C'd export's
    unread.write_text(json.dumps({"ok": True, "export": body}))
    capsys.readouterr()
    assert main(["-c", str(path), "privacy", "delete-everything", "--yes"]) == 0
    said = capsys.readouterr().out
    assert not unread.exists()
    assert "Everything is deleted" in said and "Sam" in said

    assert _feedback(data) == []
    assert not calibration_file(data, "Sam").exists()
    with sqlite3.connect(data / "mood-history.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM mood").fetchone()[0] == 0
    saved = json.loads((data / "state.json").read_text())
    assert saved["current"]["reason"] == "" and saved["picked_for"] == {}
    assert saved["current"]["track"]["id"]  # the track stays, to resume at the next start
    assert "Sam" not in path.read_text()  # the config's profile names reset, as the page does

    again = _export(path, tmp_path / "again.json")
    assert again["mood_history"] == []
    assert again["speaker_data"]["profiles"] == {"default": again["speaker_data"]["profiles"]["default"]}
    assert again["speaker_data"]["profiles"]["default"]["feedback"] == []
    assert again["speaker_data"]["neutral_calibrations"] == {}
    assert again["speaker_data"]["picked_for"] == {} and again["explanations"]["now_playing"] is None


def test_delete_everything_asks_on_a_terminal_and_refuses_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    cfg = with_changes(Config(), {"device.data_dir": str(data)})
    path = tmp_path / "config.toml"
    save(cfg, path)
    calibration_file(data).parent.mkdir(parents=True)
    calibration_file(data).write_text("{}")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", io.StringIO("delete\n"))  # a script's input: no terminal
    assert main(["-c", str(path), "privacy", "delete-everything"]) == 1
    assert "add --yes" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    assert main(["-c", str(path), "privacy", "delete-everything"]) == 1
    assert "nothing was deleted" in capsys.readouterr().err
    assert calibration_file(data).exists()
    monkeypatch.setattr("sys.stdin", Terminal("delete\n"))
    assert main(["-c", str(path), "privacy", "delete-everything"]) == 0
    assert not calibration_file(data).exists()


def test_a_speaker_that_does_not_answer_deletes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The folder's lock held (as by a speaker of an older version, or one stuck): the command waits
    for its answer, then withdraws its request, so it is true that nothing was deleted."""
    data = tmp_path / "data"
    data.mkdir()
    calibration_file(data).parent.mkdir()
    calibration_file(data).write_text("{}")
    lock = hold_data_folder(data)
    try:
        args = [
            "--set",
            f"device.data_dir={data}",
            "privacy",
            "delete-everything",
            "--yes",
            "--timeout",
            "0.5",
        ]
        assert main(args) == 1
    finally:
        lock.close()
    err = capsys.readouterr().err
    assert f"the speaker running on {data} did not answer within 0.5 s; nothing was deleted" in err
    assert calibration_file(data).exists()
    assert not list(data.glob("privacy-*"))


def test_the_export_holds_every_feedback_row(tmp_path: Path) -> None:
    """Why: the export went through the page state's JSON filter, which keeps the first 500 items of
    any list, so a listener's feedback past 500 rows (a few weeks of a household's Likes, skips and
    track ends) was left out of "everything this speaker keeps" without a word."""
    data = tmp_path / "data"
    store = FeedbackStore(data / "recommend.sqlite")
    store.create_profile("default", 0.0)
    store.add_all(
        [FeedbackRow("default", f"t{i}", "completed", "happy", 0.9, 0.5, 0.5, 1e9 + i) for i in range(600)]
    )
    store.close()
    path = tmp_path / "config.toml"
    save(with_changes(Config(), {"device.data_dir": str(data)}), path)
    body = _export(path, tmp_path / "export.json")
    assert len(body["speaker_data"]["profiles"]["default"]["feedback"]) == 600


def test_an_export_writes_no_feedback_database_into_the_folder(tmp_path: Path) -> None:
    """Why: the export opened the feedback database as the service does, which makes it: exporting a
    data folder that had none (a speaker never started, one whose data was deleted by hand) left an
    empty recommend.sqlite (and its -wal, -shm) behind; an export must not write."""
    data = tmp_path / "data"
    data.mkdir()
    path = tmp_path / "config.toml"
    save(with_changes(Config(), {"device.data_dir": str(data)}), path)
    body = _export(path, tmp_path / "export.json")
    assert body["speaker_data"]["profiles"] == {} and body["speaker_data"]["neutral_calibrations"] == {}
    assert not list(data.glob("recommend.sqlite*"))


def test_ctrl_c_ends_with_130_and_withdraws_the_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C at the question, or while the running speaker is awaited, ends as every command's
    Ctrl-C does (exit 130, "interrupted"); a request the speaker had not taken is withdrawn, so it
    does not delete everything later, when nobody waits for it any more."""
    data = tmp_path / "data"
    data.mkdir()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def ctrl_c(_prompt: str = "") -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", ctrl_c)
    args = ["--set", f"device.data_dir={data}", "privacy", "delete-everything"]
    assert main(args) == 130
    assert "interrupted" in capsys.readouterr().err

    def interrupted(_path: Path) -> None:
        assert list(data.glob("privacy-request-*.json"))  # asked, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr("moodspeaker.service.privacy_desk._read_answer", interrupted)
    lock = hold_data_folder(data)
    try:
        assert main([*args, "--yes"]) == 130
    finally:
        lock.close()
    assert not list(data.glob("privacy-*"))
