"""A real appliance running with its phone page, already set up by its owner, for the child scripts that
break the disk under both (tests/service/readonly_profile_kid.py, tests/stress/diskfull_web.py).

Flask's test client, no HTTP: the children run inside `unshare -m` with only their own test folder and
tests/ on sys.path, so the page kits of tests/web are not theirs to import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodspeaker.config import save
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker_web.app import create_app
from moodspeaker_web.setup_code import read_setup_code

PASSWORD = "correct horse battery"


@dataclass
class OwnerClient:
    """The owner's session on the page (the test client and the CSRF token its commands carry), and
    the control API the page speaks to (what MQTT and the buttons use too)."""

    client: Any
    token: str
    control: ControlAPI

    def command(self, command: str, args: dict[str, Any] | None = None) -> Any:
        """POST /api/command as the page's buttons do; the test client's response."""
        body: dict[str, Any] = {"command": command} if args is None else {"command": command, "args": args}
        return self.client.post("/api/command", json=body, headers={"X-CSRFToken": self.token})


@contextmanager
def running_with_page(app: Appliance, bus: EventBus, folder: Path) -> Iterator[OwnerClient]:
    """`app` started, with its page (its config saved as folder/config.toml, data in folder/data) set
    up by its owner first: the setup code read from the data folder, the owner's password set.  On
    leaving, the appliance is stopped, then the page closed."""
    control = ControlAPI(app, bus)
    save(app.config, folder / "config.toml")
    data = folder / "data"
    page = create_app(control, bus, config=app.config, config_path=folder / "config.toml", data_dir=data)
    client = page.test_client()

    def csrf(path: str) -> str:
        match = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
        assert match, path
        return match.group(1)

    try:
        form = {
            "csrf_token": csrf("/setup"),
            "code": read_setup_code(data),
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
        assert client.post("/setup", data=form).status_code == 302
        owner = OwnerClient(client, csrf("/"), control)
        app.start()
        try:
            yield owner
        finally:
            app.stop()
    finally:
        page.extensions["moodspeaker"].close()
