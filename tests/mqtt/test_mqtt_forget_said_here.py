"""What `mqtt forget` and the service's own forget tell a person to run is said as it can be typed on that
machine (util.program: .venv/bin/moodspeaker in a checkout, where a bare `moodspeaker` is "command not
found"), and `mqtt forget`'s `config show` with the --config and --set it was given: without them it
showed another file's settings (/etc's, or the defaults), not the device id and broker it had used.
Real Mosquitto; this process taken for the venv's console script in the checkout (programkit), each
command run in a shell whose PATH lacks the venv.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from brokerkit import Mosquitto
from speakerkit import Rig

from moodspeaker.cli import main
from moodspeaker.config import Config, save, with_changes
from polling import until
from programkit import as_console_script, bare_path, run_line


def test_mqtt_forget_names_the_config_it_used(
    tmp_path: Path, broker: Mosquitto, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = bare_path(monkeypatch)
    here, typed = as_console_script(monkeypatch, "mqtt", "forget")
    config = tmp_path / "speaker.toml"
    save(with_changes(Config(), {"mqtt.base_topic": "lounge"}), config)
    given = ["--config", str(config), "--set", "mqtt.host=127.0.0.1", "--set", f"mqtt.port={broker.port}"]
    assert main([*given, "mqtt", "forget", "--device-id", "nosuch"]) == 1
    (said,) = re.findall(r"`([^`]+)`", capsys.readouterr().err)
    assert said.startswith(f"{typed} --config "), said
    shown = run_line(said, here, shell)
    assert shown.returncode == 0, (said, shown.stderr)
    assert "lounge" in shown.stdout and str(broker.port) in shown.stdout, shown.stdout  # what forget used


def test_the_services_forget_says_mqtt_forget_as_typed(
    rig: Rig, broker: Mosquitto, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shell = bare_path(monkeypatch)
    here, typed = as_console_script(monkeypatch, "run")
    broker.stop()
    until(lambda: not rig.bridge.connected, what="the outage noticed")
    with caplog.at_level(logging.WARNING, logger="moodspeaker.mqtt.bridge"):
        assert rig.bridge.forget(timeout=1.0) is False
    (said,) = re.findall(r"`([^`]+)`", caplog.text)
    assert said == f"{typed} mqtt forget --device-id kitchen", caplog.text
    done = run_line(f"{said} --help", here, shell)
    assert done.returncode == 0, (said, done.stderr)
