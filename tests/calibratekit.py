"""Shared by the tests of `moodspeaker calibrate-neutral`'s refusals (tests/training, tests/vision)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.cli import main


def refused_calibration(frames: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """`calibrate-neutral` on 3 of the images in `frames`, saving to `out`: asserts it is refused
    (exit 1, "nothing saved", no `out`) and returns what it wrote to stderr, to say why."""
    args = ["calibrate-neutral", "--source", str(frames), "--frames", "3", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "nothing saved" in err, err
    assert not out.exists()
    return err
