"""Shared by the tests that run `moodspeaker demo` in this process: a free loopback port, and the
demo's own data folder (skipped while no expression model is shipped; SDL's dummy audio)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from moodspeaker.vision.expression import default_model_json


def free_port() -> int:
    """A loopback TCP port nothing listens on (bound, read and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's data folder `tmp_path/demo`, made; returns its settings file's path (not written)."""
    if not default_model_json().is_file():
        pytest.skip(f"no expression model shipped yet ({default_model_json()})")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    folder = tmp_path / "demo"
    folder.mkdir()
    return folder / "config.toml"
