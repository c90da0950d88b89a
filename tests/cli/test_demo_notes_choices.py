"""The demo writes what it runs with into its own settings file, which the page's Settings shows.

Why: started with --port 18090 and --mqtt-host/--mqtt-port of a broker, its page showed "Port 8080"
and MQTT off at localhost:1883 (the file's values) while it was served on 18090 and Health had the
broker, and `moodspeaker -c <the demo's file> mqtt forget` tried localhost:1883.  The demo runs in
this process as `moodspeaker demo --replay --no-web --seconds 0.3 --port P --mqtt-host 127.0.0.1
--mqtt-port Q` runs it (real expression model, SDL's dummy audio, nothing answering at Q: MQTT off).
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest

from demokit import demo_folder, free_port
from moodspeaker.commands import demo
from moodspeaker.config import Config

pytestmark = pytest.mark.timeout(180)


def test_without_flags_the_file_keeps_its_port_and_broker(tmp_path: Path) -> None:
    settings = tmp_path / "config.toml"
    settings.write_text('[web]\nport = 18090\n\n[mqtt]\nhost = "10.0.0.2"\n', encoding="utf-8")
    args = argparse.Namespace(port=None, mqtt_host=None, mqtt_port=None)
    demo.note_choices(settings, args, mqtt_on=False, started=Config())
    saved = tomllib.loads(settings.read_text(encoding="utf-8"))
    assert saved["web"]["port"] == 18090 and saved["mqtt"]["host"] == "10.0.0.2"


def test_the_demo_writes_its_port_and_broker_into_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = demo_folder(tmp_path, monkeypatch)
    folder = settings.parent
    # no music folder (nothing to analyse); MQTT on from an earlier page save, no broker now
    settings.write_text("# my notes\n[library]\nfolders = []\n\n[mqtt]\nenabled = true\n", encoding="utf-8")
    web_port, mqtt_port = free_port(), free_port()
    args = argparse.Namespace(
        data_dir=str(folder), port=web_port, mqtt_host="127.0.0.1", mqtt_port=mqtt_port,
        replay=True, no_web=True, seconds=0.3, set=None,
    )  # fmt: skip
    assert demo.run(args, Config()) == 0
    text = settings.read_text(encoding="utf-8")
    saved = tomllib.loads(text)
    assert saved["web"]["port"] == web_port
    # the broker as Health has it; MQTT on from the page is kept though no broker answered at this start
    assert saved["mqtt"] == {"enabled": True, "host": "127.0.0.1", "port": mqtt_port}
    assert text.startswith("# my notes\n") and saved["library"]["folders"] == []  # the rest kept
