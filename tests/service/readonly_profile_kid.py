"""Child of the read-only profile test: the real appliance and page, then the data directory turns
read-only under them (run inside `unshare -m`, so the mount is private to this process).

    python readonly_profile_kid.py TMP

Prints `refused <message>` (ControlAPI), `page <status> <body>` (the page's JSON API), `kept <profile>
<same-queue|other-queue> <player state>`, then, with the directory writable again, `writable <profile>`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from servicekit import Script, build, wait_for

from moodspeaker.config import save
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker_web.app import create_app
from moodspeaker_web.setup_code import read_setup_code


def main() -> int:
    tmp = Path(sys.argv[1])
    profiles: dict[str, Any] = {"recommend.profiles": ["default", "Kim"]}
    app, bus = build(tmp, Script("happy"), **profiles)
    api = ControlAPI(app, bus)
    save(app.config, tmp / "config.toml")
    data = tmp / "data"
    flask = create_app(api, bus, config=app.config, config_path=tmp / "config.toml", data_dir=data)
    client = flask.test_client()

    def csrf(path: str) -> str:
        match = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
        assert match, path
        return match.group(1)

    password = "correct horse battery"
    form = {
        "csrf_token": csrf("/setup"),
        "code": read_setup_code(data),
        "password": password,
        "confirm": password,
    }
    assert client.post("/setup", data=form).status_code == 302
    token = csrf("/")
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "happy", what="the mood read (no flip re-plans later)")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing (autoplay)")
        queue = [q["track_id"] for q in app.state()["queue"]]
        # the card turns read-only: files already open stay writable (as the kernel allows), new ones not
        subprocess.run(["mount", "--bind", "-o", "ro", str(data), str(data)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
        try:
            api.execute("set_profile", {"profile": "Kim"})
            print("refused NOTHING (the switch was accepted)", flush=True)
        except CommandError as exc:
            print(f"refused {exc}", flush=True)
        r = client.post(
            "/api/command",
            json={"command": "set_profile", "args": {"profile": "Kim"}},
            headers={"X-CSRFToken": token},
        )
        print(f"page {r.status_code} {r.get_data(as_text=True)[:300]}", flush=True)
        state = app.state()
        same = [q["track_id"] for q in state["queue"]] == queue
        print(
            f"kept {state['profile']} {'same-queue' if same else 'other-queue'} {state['player']}", flush=True
        )
        subprocess.run(["umount", str(data)], check=True)
        api.execute("set_profile", {"profile": "Kim"})
        print(f"writable {app.state()['profile']}", flush=True)
    finally:
        app.stop()
        flask.extensions["moodspeaker"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
