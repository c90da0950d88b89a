"""Loading a listener's resting-face calibration for the running service.

`moodspeaker calibrate-neutral --profile NAME` saves a per-listener logit bias so that a resting face is
not read as sad (mood/calibration.py); the service applies the active profile's calibration to every
classification before the mood filter.  A missing file means no correction; a bad one is reported and
ignored, never fatal.  The file is followed while the service runs (`FollowedCalibration`): one saved,
replaced or deleted then (a calibrate-neutral run, a hand edit) is in effect within a housekeeping
round, as it would be after a restart.  A calibration is fitted to a listener's face: "delete
everything" deletes them all (`delete_calibrations`) and "export my data" gives them all
(`export_calibrations`).
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.util.program import command

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
    except UnicodeDecodeError:
        return None, f"{path}: not text (not UTF-8); no neutral calibration for {profile!r}"
    try:
        calibration = NeutralCalibration.from_json(text, str(path))
    except ValueError as exc:
        return None, f"{exc}; no neutral calibration for {profile!r}"
    if tuple(calibration.classes) != tuple(classes):
        return None, (
            f"{path}: made for classes {list(calibration.classes)}, the model has {list(classes)}; "
            f"run `{command(f'calibrate-neutral --profile {shlex.quote(profile)}')}` again"
        )
    # no name, nor the file's (it holds the name): the journal outlives "delete everything"
    log.info("the listener's neutral calibration loaded (%d frames)", calibration.frames)
    return calibration, None


#: What tells one version of a file from the next without reading it: its inode (an atomic save
#: replaces the file), size and modification time; None when there is no file; an errno when it
#: cannot be looked at.
Signature = tuple[int, int, int] | int | None


def _signature(path: Path) -> Signature:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.errno or -1
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class FollowedCalibration:
    """The active listener's calibration, kept as their file says while the service runs.

    `use(profile, classes)` loads the profile's file (start-up, a switch of listener); `check()`, cheap
    (one stat), loads it again when it changed since: saved by `calibrate-neutral` while the service
    runs, replaced, or deleted.  Each load goes to `apply` (the inference stage's set_calibration); a
    file that cannot be used goes to `report` once per version, not at every check.  One lock orders
    the loads, so a check racing a switch of listener never applies the previous listener's file."""

    def __init__(
        self,
        data_dir: Path,
        apply: Callable[[NeutralCalibration | None], None],
        report: Callable[[str], None],
    ) -> None:
        self._data_dir = data_dir
        self._apply = apply
        self._report = report
        self._lock = threading.Lock()
        self._profile: str | None = None
        self._classes: tuple[str, ...] = ()
        self._seen: Signature = None

    def use(self, profile: str, classes: Sequence[str]) -> None:
        """Make `profile` the listener whose file is applied and followed."""
        with self._lock:
            self._profile, self._classes = profile, tuple(classes)
            self._load(profile)

    def check(self) -> None:
        """Load the listener's file again if it changed since it was last loaded."""
        with self._lock:
            profile = self._profile
            if profile is None:
                return
            if _signature(calibration_file(self._data_dir, profile)) != self._seen:
                self._load(profile)

    def clear(self) -> None:
        """No calibration (the files were deleted); a file saved later is picked up by `check`."""
        with self._lock:
            self._seen = None
            self._apply(None)

    def _load(self, profile: str) -> None:
        path = calibration_file(self._data_dir, profile)
        self._seen = _signature(path)  # before the read: a change during it is seen at the next check
        calibration, notice = load_calibration(self._data_dir, profile, self._classes)
        if notice:
            self._report(notice)
        elif calibration is None and self._seen is None:
            log.info("no neutral calibration for the listener")  # no name: see load_calibration
        self._apply(calibration)


def delete_calibrations(data_dir: Path) -> list[Path]:
    """Delete every saved calibration in the data folder and return what was deleted: each profile's
    (also of a listener no longer configured, or whose file another name maps to) and the temporary
    files an interrupted save left (util.atomic's `.neutral-NAME.json.*.tmp`).  Fitted to a listener's
    resting face, they are personal data.  An OSError (a read-only card) propagates: the deletion is
    refused, not half-announced."""
    folder = calibration_file(data_dir).parent
    if not folder.is_dir():
        return []
    found = sorted({*folder.glob("neutral-*.json"), *folder.glob(".neutral-*.json.*.tmp")})
    for path in found:
        path.unlink(missing_ok=True)
    return found


def export_calibrations(data_dir: Path, profiles: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Every saved calibration for the data export, by profile: {"file": its path in the data folder,
    "calibration": its contents}.  Fitted to a listener's resting face, they are personal data, and
    an export must hold what "delete everything" deletes: also the file of a name no longer a profile
    (keyed by the name in the file), and one that is not valid JSON (its text).  A file that cannot be
    read is listed with the reason instead of failing the whole export."""
    folder = calibration_file(data_dir).parent
    if not folder.is_dir():
        return {}
    found = sorted(folder.glob("neutral-*.json"))
    owners: dict[Path, str] = {}
    for profile in profiles:
        owners.setdefault(calibration_file(data_dir, profile), profile)
    exported: dict[str, dict[str, Any]] = {}
    for path in found:
        name = owners.get(path, path.stem.removeprefix("neutral-"))
        entry: dict[str, Any] = {"file": f"{folder.name}/{path.name}"}
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            # the file's name holds the listener's: not in the journal, which outlives the data
            log.warning("a neutral calibration cannot be read for the data export (%s)", _reason(exc))
            entry["error"] = f"cannot be read ({_reason(exc)})"
        else:
            try:
                entry["calibration"] = json.loads(text)
            except json.JSONDecodeError:
                entry["calibration"] = text
        exported[name] = entry
    return exported


def _reason(exc: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read, without its path (an OSError's str names the file)."""
    return str(getattr(exc, "strerror", None) or "not text (not UTF-8)")
