"""Fixtures of the MQTT tests: a real Mosquitto per test, a recording subscriber, TLS material, and the
in-memory speaker behind a started, connected bridge."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from brokerkit import Mosquitto, Pki, make_pki
from mqtt_helpers import Watcher
from speakerkit import Rig, make_rig


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def watcher(broker: Mosquitto) -> Iterator[Watcher]:
    w = Watcher(broker.port).start()
    yield w
    w.stop()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def rig(broker: Mosquitto) -> Iterator[Rig]:
    r = make_rig(broker.port)
    r.bridge.start()
    r.wait_connected()
    r.wait_announced()  # subscribed: a command published now reaches it
    yield r
    r.bridge.stop()
