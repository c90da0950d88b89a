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
