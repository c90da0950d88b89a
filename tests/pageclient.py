"""The phone page in front of a real appliance, already set up by its owner, for the child scripts that
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

from moodspeaker.config import Config, save
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker_web.app import create_app
from moodspeaker_web.setup_code import read_setup_code

PASSWORD = "correct horse battery"


@dataclass
class OwnerClient:
    """The owner's session on the page: the test client and the CSRF token its commands carry."""

    client: Any
    token: str

    def command(self, command: str, args: dict[str, Any] | None = None) -> Any:
        """POST /api/command as the page's buttons do; the test client's response."""
        body: dict[str, Any] = {"command": command} if args is None else {"command": command, "args": args}
        return self.client.post("/api/command", json=body, headers={"X-CSRFToken": self.token})


@contextmanager
def owner_client(control: ControlAPI, bus: EventBus, config: Config, folder: Path) -> Iterator[OwnerClient]:
    """The page for `config` (saved as folder/config.toml, data in folder/data) after first boot: the
    setup code read from the data folder, the owner's password set.  The page is closed on leaving."""
    save(config, folder / "config.toml")
    data = folder / "data"
    app = create_app(control, bus, config=config, config_path=folder / "config.toml", data_dir=data)
    client = app.test_client()

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
        yield OwnerClient(client, csrf("/"))
    finally:
        app.extensions["moodspeaker"].close()
