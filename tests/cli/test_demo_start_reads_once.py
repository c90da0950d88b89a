"""`moodspeaker demo` reads its settings file once, and searches the soundtrack packages once, at start.

Why: its start parsed the demo's config.toml twice, for the settings and for whether the file names
its music folders (three times for a file made before the demo wrote its folders, besides the save's
own check), and globbed the game packages' music folders twice (for the settings' folders, then
for the library).  Both are read once now and passed along.  The demo runs in this process as
`moodspeaker demo --replay --no-web --seconds 0.3` runs it (real expression model, SDL's dummy
audio, its own data folder with a settings file naming no music folder, so there is nothing to
analyse); the TOML parser and the glob are wrapped to count their calls, and do their work.
"""

from __future__ import annotations

import argparse
import glob
import tomllib
from pathlib import Path
from typing import Any

import pytest

from demokit import demo_folder, free_port
from moodspeaker.commands import demo
from moodspeaker.config import Config
from moodspeaker.demo.library import SOUNDTRACK_GLOBS

pytestmark = pytest.mark.timeout(180)


def test_the_demo_parses_its_settings_and_globs_the_soundtracks_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mqtt_port = free_port()  # nothing answers there: MQTT off
    settings = demo_folder(tmp_path, monkeypatch)
    folder = settings.parent
    # the person's choice: no music folder; the broker as given below, so the demo has none to note;
    # the demo's data folder named already (a file lacking it is written once to name it: 1b22825)
    settings.write_text(
        f'[device]\ndata_dir = "{folder}"\n\n[library]\nfolders = []\n\n'
        f'[mqtt]\nhost = "127.0.0.1"\nport = {mqtt_port}\n'
    )
    text = settings.read_text()

    parsed: list[str] = []
    loads, real_glob = tomllib.loads, glob.glob

    def counted_loads(s: str, **kw: Any) -> dict[str, Any]:
        if s == text:
            parsed.append("loads")
        return loads(s, **kw)

    def counted_load(handle: Any, **kw: Any) -> dict[str, Any]:
        data = handle.read()
        if data.decode() == text:
            parsed.append("load")
        return loads(data.decode(), **kw)

    globbed: list[str] = []

    def counted_glob(pattern: str, **kw: Any) -> list[str]:
        if pattern in SOUNDTRACK_GLOBS:
            globbed.append(pattern)
        return real_glob(pattern, **kw)

    monkeypatch.setattr(tomllib, "loads", counted_loads)
    monkeypatch.setattr(tomllib, "load", counted_load)
    monkeypatch.setattr(glob, "glob", counted_glob)
    args = argparse.Namespace(
        data_dir=str(folder), port=None, mqtt_host="127.0.0.1", mqtt_port=mqtt_port,
        replay=True, no_web=True, seconds=0.3, set=None,
    )  # fmt: skip
    assert demo.run(args, Config()) == 0
    assert len(parsed) == 1, f"the demo's settings file was parsed {len(parsed)} times: {parsed}"
    assert sorted(globbed) == sorted(SOUNDTRACK_GLOBS), f"the soundtrack folders were globbed: {globbed}"
