"""Child of the disk-full page test: the real appliance and page with their data folder on a tiny disk.

    python diskfull_web.py FOLDER        (FOLDER is a small tmpfs; run inside `unshare -m`)

Plays a track, fills the disk, then presses "like" on the page as the owner and prints
`status <HTTP status> <body>`; then frees the disk and presses it again (`after <status>`).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from stresskit import ScriptedFace, appliance, wait_for


def main() -> int:
    from pageclient import running_with_page  # noqa: PLC0415 (on sys.path once stresskit is imported)

    folder = Path(sys.argv[1])
    app, bus, _ = appliance(folder, ScriptedFace("happy"))
    with running_with_page(app, bus, folder) as page:
        page.command("play")
        wait_for(lambda: app.player.status().current is not None, 30, "a track playing")
        with contextlib.suppress(OSError), (folder / "filler").open("ab") as f:
            while True:
                f.write(b"\0" * 512)
                f.flush()
        r = page.command("like")
        print(f"status {r.status_code} {r.get_data(as_text=True)[:300]!r}", flush=True)
        (folder / "filler").unlink()
        r = page.command("like")
        print(f"after {r.status_code}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
