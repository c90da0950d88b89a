"""Delete-everything deletes the copy of an unreadable state.json the service set aside at its start.

Why: a state.json the service cannot read at start is kept beside it as `state.json.corrupt-<time>`
(service.state): it quotes the queue's explanations and moods as state.json does.  README and
service.forget say delete-everything deletes those copies; a check suspected only the retention did.
Here the service itself sets the copy aside (a state.json cut short, written before it starts), and
"delete everything" is the page's, in front of the real service, and the service's own
(`ControlAPI.delete_data(None)`, which an MQTT or command-line deletion calls too): the service
deletes the copies itself; it used to leave them to the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "web"))
from realkit import owned_page
from servicekit import Script, running

from moodspeaker.service.events import StateChanged
from moodspeaker.service.listeners import StateCopiesNotDeletedError

QUOTE = "you look sad (80% sure); calm, slow"


@pytest.mark.timeout(180)
def test_delete_everything_deletes_the_copy_the_service_set_aside(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "state.json").write_text('{"version": 1, "current": {"reason": "' + QUOTE + '", "track"')
    with owned_page(tmp_path) as (_service, page):
        copies = sorted(p.name for p in data.glob("state.json.corrupt-*"))
        assert len(copies) == 1, f"the service did not set the unreadable state aside: {copies}"
        answer = page.client.post(
            "/privacy/delete", data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"}
        )
        assert answer.status_code == 302
        left = [p.name for p in data.rglob("*") if p.is_file() and QUOTE.encode() in p.read_bytes()]
        assert left == [], f"delete everything left the moods quoted in {left}"


@pytest.mark.timeout(180)
def test_the_services_own_delete_everything_deletes_the_copy(tmp_path: Path) -> None:
    """No page: a caller of the ControlAPI alone (as an MQTT or command-line deletion would be)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "state.json").write_text('{"version": 1, "current": {"reason": "' + QUOTE + '", "track"')
    with running(tmp_path, Script(None)) as (_app, control, events):
        copies = sorted(p.name for p in data.glob("state.json.corrupt-*"))
        assert len(copies) == 1, f"the service did not set the unreadable state aside: {copies}"
        assert control.delete_data(None)
        assert list(data.glob("state.json.corrupt-*")) == []
        assert any(isinstance(e, StateChanged) and e.key == "data_deleted" for e in events)
        left = [p.name for p in data.rglob("*") if p.is_file() and QUOTE.encode() in p.read_bytes()]
        assert left == [], f"delete everything left the moods quoted in {left}"


@pytest.mark.timeout(180)
def test_a_copy_that_cannot_go_is_said_and_the_rest_is_deleted(tmp_path: Path) -> None:
    """A copy the card refuses to delete (here a folder by that name: unlinking it fails even as root)
    is a refusal naming it, after everything else went (the listeners' data, the data_deleted signal)."""
    data = tmp_path / "data"
    stuck = data / "state.json.corrupt-20261201-101010"
    stuck.mkdir(parents=True)
    with running(tmp_path, Script(None)) as (_app, control, events):
        with pytest.raises(StateCopiesNotDeletedError, match="unreadable state file"):
            control.delete_data(None)
        assert any(isinstance(e, StateChanged) and e.key == "data_deleted" for e in events)
        assert control.state()["profiles"] == ["default"]
    assert stuck.is_dir()


@pytest.mark.timeout(180)
def test_the_page_says_which_copies_stay(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stuck = data / "state.json.corrupt-20261201-101010"
    stuck.mkdir(parents=True)
    with owned_page(tmp_path) as (_service, page):
        answer = page.client.post(
            "/privacy/delete",
            data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"},
            follow_redirects=True,
        )
        said = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert "Copies of an unreadable state file in the data folder could not be deleted" in said
        assert "Everything is deleted: mood history" in said
