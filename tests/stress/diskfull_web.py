"""Child of the disk-full page test: the real appliance and page with their data folder on a tiny disk.

    python diskfull_web.py FOLDER        (FOLDER is a small tmpfs; run inside `unshare -m`)

Plays a track, fills the disk, then presses "like" on the page as the owner and prints
`status <HTTP status> <body>`; then frees the disk and presses it again (`after <status>`).
"""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

from stresskit import ScriptedFace, appliance, wait_for

from moodspeaker.config import save
from moodspeaker.service.control import ControlAPI
from moodspeaker_web.app import create_app
from moodspeaker_web.setup_code import read_setup_code


def main() -> int:
    folder = Path(sys.argv[1])
    app, bus, cfg = appliance(folder, ScriptedFace("happy"))
    save(cfg, folder / "config.toml")
    flask = create_app(
        ControlAPI(app, bus), bus, config=cfg, config_path=folder / "config.toml", data_dir=folder / "data"
    )
    client = flask.test_client()

    def csrf(path: str) -> str:
        match = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
        assert match, path
        return match.group(1)

    password = "correct horse battery"
    code = read_setup_code(folder / "data")
    form = {"csrf_token": csrf("/setup"), "code": code, "password": password, "confirm": password}
    assert client.post("/setup", data=form).status_code == 302
    token = csrf("/")
    app.start()
    try:
        client.post("/api/command", json={"command": "play"}, headers={"X-CSRFToken": token})
        wait_for(lambda: app.player.status().current is not None, 30, "a track playing")
        with contextlib.suppress(OSError), (folder / "filler").open("ab") as f:
            while True:
                f.write(b"\0" * 512)
                f.flush()
        r = client.post("/api/command", json={"command": "like"}, headers={"X-CSRFToken": token})
        print(f"status {r.status_code} {r.get_data(as_text=True)[:300]!r}", flush=True)
        (folder / "filler").unlink()
        r = client.post("/api/command", json={"command": "like"}, headers={"X-CSRFToken": token})
        print(f"after {r.status_code}", flush=True)
    finally:
        app.stop()
        flask.extensions["moodspeaker"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
