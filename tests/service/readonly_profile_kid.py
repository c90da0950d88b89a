"""Child of the read-only profile test: the real appliance and page, then the data directory turns
read-only under them (run inside `unshare -m`, so the mount is private to this process).

    python readonly_profile_kid.py TMP

Prints `refused <message>` (ControlAPI), `page <status> <body>` (the page's JSON API), `kept <profile>
<same-queue|other-queue> <player state>`, then, with the directory writable again, `writable <profile>`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from servicekit import Script, build, wait_for

from moodspeaker.service.control import CommandError


def main() -> int:
    from pageclient import running_with_page  # noqa: PLC0415 (on sys.path once servicekit is imported)

    tmp = Path(sys.argv[1])
    profiles: dict[str, Any] = {"recommend.profiles": ["default", "Kim"]}
    app, bus = build(tmp, Script("happy"), **profiles)
    data = tmp / "data"
    with running_with_page(app, bus, tmp) as page:
        wait_for(lambda: app.state()["mood"] == "happy", what="the mood read (no flip re-plans later)")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing (autoplay)")
        queue = [q["track_id"] for q in app.state()["queue"]]
        # the card turns read-only: files already open stay writable (as the kernel allows), new ones not
        subprocess.run(["mount", "--bind", "-o", "ro", str(data), str(data)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
        try:
            page.control.execute("set_profile", {"profile": "Kim"})
            print("refused NOTHING (the switch was accepted)", flush=True)
        except CommandError as exc:
            print(f"refused {exc}", flush=True)
        r = page.command("set_profile", {"profile": "Kim"})
        print(f"page {r.status_code} {r.get_data(as_text=True)[:300]}", flush=True)
        state = app.state()
        same = [q["track_id"] for q in state["queue"]] == queue
        print(
            f"kept {state['profile']} {'same-queue' if same else 'other-queue'} {state['player']}", flush=True
        )
        subprocess.run(["umount", str(data)], check=True)
        page.control.execute("set_profile", {"profile": "Kim"})
        print(f"writable {app.state()['profile']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
