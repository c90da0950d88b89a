"""Fixtures for the vision tests: placeholder expression models (built with TensorFlow in a tmp dir)
and public-domain / synthesised test images.  Never FER2013 images."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:  # the placeholder builder is the benchmarks' bench/_common.py, imported the
    sys.path.insert(0, str(BENCH))  # way the benchmarks import it (a top-level module, bench/ on the path)

from _common import placeholder_model as write_placeholder  # noqa: E402


def _write_placeholder(folder: Path, *, size: int = 48, channels: int = 1, quantise: bool = True) -> Path:
    """A tiny (one 4-channel convolution), clearly untrained PLACEHOLDER model + its metadata JSON."""
    pytest.importorskip("tensorflow")
    return write_placeholder(
        folder, filters=(4,), size=size, channels=channels, quantise=quantise, purpose="test"
    )


@pytest.fixture(scope="session")
def placeholder_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Metadata JSON of an int8 placeholder model with the agreed 48x48x1 input."""
    return _write_placeholder(tmp_path_factory.mktemp("placeholder"))


@pytest.fixture(scope="session")
def wrong_shape_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Metadata that says 48x48x1 next to a model whose input is really 64x64x3."""
    return _write_placeholder(tmp_path_factory.mktemp("wrongshape"), size=64, channels=3, quantise=False)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins (NASA, public domain) as BGR, shipped with scikit-image."""
    data = pytest.importorskip("skimage.data")
    rgb = data.astronaut()
    return np.ascontiguousarray(rgb[:, :, ::-1])
