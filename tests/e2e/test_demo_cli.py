"""`moodspeaker demo` as a newcomer runs it: a subprocess on this machine (no camera, TPU or speaker),
its page answering on the chosen port, MQTT off with a one-line notice, tracks logged as "playing",
and a clean stop on SIGTERM."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from demokit import run_demo
from moodspeaker_web.setup_code import read_setup_code


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_demo_runs_serves_the_page_plays_and_stops_on_sigterm(tmp_path: Path) -> None:
    # until it plays; then SIGTERM, and a clean stop asserted
    with (
        run_demo(tmp_path) as demo,
        urllib.request.urlopen(f"http://127.0.0.1:{demo.port}/", timeout=30) as response,
    ):
        assert response.status == 200
    text = demo.said
    assert "demo: audio:" in text and "demo: camera: " in text and "replaying a public-domain face" in text
    assert "generated clips" in text or "soundtrack" in text
    assert f"MQTT: no broker answers at 127.0.0.1:{demo.mqtt_port}; MQTT is off" in text
    assert f"web page: http://127.0.0.1:{demo.port}/" in text
    assert "SIGTERM: shutting down" in text and "demo: stopped" in text
    # the code the demo's page accepts, and the command that shows it again (plain `moodspeaker
    # setup-code` reads the configured data folder, not the demo's)
    code = read_setup_code(tmp_path / "demo")
    assert code is not None and f"demo: page setup code: {code}" in text
    assert f"--set device.data_dir={tmp_path / 'demo'} setup-code" in text
    # as the command can be typed here (util.program: `moodspeaker`, or `<python> -m moodspeaker` when it
    # is not on PATH, as in this test)
    commands = next(line for line in text.splitlines() if "other commands on the demo's data: " in line)
    assert f"moodspeaker -c {tmp_path / 'demo' / 'config.toml'} " in commands, commands
    assert not list((tmp_path / "demo").rglob("*.png")) and not list((tmp_path / "demo").rglob("*.jpg"))
