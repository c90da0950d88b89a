"""Loading a listener's resting-face calibration for the running service.

`moodspeaker calibrate-neutral --profile NAME` saves a per-listener logit bias so that a resting face is
not read as sad (mood/calibration.py); the service applies the active profile's calibration to every
classification before the mood filter.  A missing file means no correction; a bad one is reported and
ignored, never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from moodspeaker.mood.calibration import NeutralCalibration, calibration_file

log = logging.getLogger(__name__)


def load_calibration(
    data_dir: Path, profile: str, classes: Sequence[str]
) -> tuple[NeutralCalibration | None, str | None]:
    """The profile's calibration (or None) and a notice when a saved file could not be used."""
    path = calibration_file(data_dir, profile)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{path}: cannot be read ({exc.strerror}); no neutral calibration for {profile!r}"
    try:
        calibration = NeutralCalibration.from_json(text, str(path))
    except ValueError as exc:
        return None, f"{exc}; no neutral calibration for {profile!r}"
    if tuple(calibration.classes) != tuple(classes):
        return None, (
            f"{path}: made for classes {list(calibration.classes)}, the model has {list(classes)}; "
            f"run `moodspeaker calibrate-neutral --profile {profile}` again"
        )
    log.info("neutral calibration for %r loaded from %s (%d frames)", profile, path, calibration.frames)
    return calibration, None
