"""The doctor's checks of what the configuration points at: the config itself, the expression model,
the music library, the MQTT broker and the data disk."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from moodspeaker.config import Config, data_dir
from moodspeaker.system import probes
from moodspeaker.system.broker_exposure import open_broker
from moodspeaker.system.check_result import CheckResult
from moodspeaker.system.machine import Machine
from moodspeaker.util.net import mask_url
from moodspeaker.util.program import command


def check_config(config: Config, source: str, broken: Sequence[str] = ()) -> CheckResult:
    """`broken`: the rules between settings the file breaks though it loads (config.load's
    `file_conflicts`): a failure, as for `config check`, since the speaker does not run as written."""
    if broken:
        return CheckResult(
            "config",
            "fail",
            broken[0] if len(broken) == 1 else f"{broken[0]} (and {len(broken) - 1} more)",
            fix=f"correct the file ({command('config check')} lists every problem); until then the "
            "speaker runs, not as the file says (a start profile not listed taken as listed, a "
            "library server that cannot be used skipped)",
            details={"source": source, "problems": list(broken)},
        )
    return CheckResult("config", "ok", f"{source}: valid", details={"source": source})


def _model_json(config: Config) -> Path | None:
    """The model the classifier will load: the configured one, else the vision package's default."""
    if config.classifier.model:
        return Path(os.path.expanduser(config.classifier.model))
    try:
        found: Path | None = importlib.import_module("moodspeaker.vision.expression").default_model_json()
    except (ImportError, AttributeError, FileNotFoundError):
        found = None
    if found is not None and found.is_file():
        return found
    # The installer copies the models into the release (<venv>/share/...); a checkout has them at its root.
    candidates = [
        Path(sys.prefix) / "share" / "moodspeaker" / "models" / "edgetpu" / "expression.json",
        Path(__file__).resolve().parents[3] / "models" / "edgetpu" / "expression.json",
    ]
    return next((c for c in candidates if c.is_file()), None)


def check_model(config: Config) -> CheckResult:
    path = _model_json(config)
    if path is None:
        return CheckResult(
            "model",
            "fail",
            "expression model not found",
            fix="reinstall (scripts/provision/update.sh) or set classifier.model",
        )
    if not path.is_file():
        return CheckResult("model", "fail", f"{path}: no such file", fix="fix classifier.model")
    return CheckResult("model", "ok", f"expression model {path}", details={"path": str(path)})


def check_library(config: Config) -> CheckResult:
    lib = config.library
    if not lib.folders and not lib.servers:
        return CheckResult(
            "library",
            "warn",
            "no music folders or library servers configured",
            fix=command("config set library.folders=/path/to/music"),
        )
    missing: list[str] = []
    # what is wrong -> its folders: "missing" sends the owner to the USB stick or the path, "not
    # readable" to the permissions (a missing folder was called not readable)
    problems: dict[str, list[str]] = {}
    for folder in lib.folders:
        path = Path(os.path.expanduser(folder))
        if path.is_dir() and os.access(path, os.R_OK | os.X_OK):
            continue
        if path.is_dir():
            what = "folder(s) not readable"
        else:
            what = "not a folder" if path.exists() else "folder(s) missing"
        problems.setdefault(what, []).append(folder)
        missing.append(folder)
    total = 0
    capped = False
    for folder in lib.folders:
        if folder in missing:
            continue
        path = Path(os.path.expanduser(folder))
        count, hit = probes.count_audio_files(path)
        total += count
        capped = capped or hit
    # an OpenSubsonic server's URL carries its password: `doctor --json` is pasted into bug reports
    servers_shown = [mask_url(url) for url in lib.servers]
    details: dict[str, Any] = {"files": total, "missing": missing, "servers": servers_shown}
    counted = f"{total}{'+' if capped else ''} audio files"
    servers = f", {len(lib.servers)} LAN server(s)" if lib.servers else ""
    if missing:
        return CheckResult(
            "library",
            "warn",
            f"{counted}; " + "; ".join(f"{what}: {', '.join(f)}" for what, f in problems.items()),
            fix="mount or create them, or change library.folders",
            details=details,
        )
    if total == 0 and not lib.servers:
        return CheckResult(
            "library",
            "warn",
            "no music found in " + ", ".join(lib.folders),
            fix=f"copy music there, then run `{command('index')}`",
            details=details,
        )
    return CheckResult("library", "ok", counted + servers, details=details)


def check_broker(config: Config, machine: Machine) -> CheckResult:
    mq = config.mqtt
    if not mq.enabled:
        return CheckResult("broker", "skip", "MQTT off (mqtt.enabled = false)")
    where = f"{mq.host}:{mq.port}"
    try:
        code = probes.mqtt_connect(
            mq.host,
            mq.port,
            username=mq.username,
            password=mq.password,
            tls=mq.tls,
            ca_file=mq.ca_file,
            cert_file=mq.cert_file,
            key_file=mq.key_file,
            timeout=machine.mqtt_timeout_s,
        )
    except (OSError, ValueError) as exc:
        return CheckResult(
            "broker",
            "fail",
            f"MQTT broker {where} not reachable: {exc}",
            fix="start the broker (e.g. Home Assistant's Mosquitto add-on), check mqtt.host/port, "
            "or set mqtt.enabled=false",
        )
    if code != 0:
        return CheckResult(
            "broker",
            "fail",
            f"MQTT broker {where} {probes.MQTT_CONNACK.get(code, code)}",
            fix="check mqtt.username and mqtt.password",
        )
    problem, fix = open_broker(mq)
    if problem:
        return CheckResult("broker", "warn", f"{problem} (it accepts the connection)", fix=fix)
    return CheckResult("broker", "ok", f"MQTT broker {where} accepts the connection")


def check_disk(config: Config) -> CheckResult:
    path = data_dir(config)
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    free_mb = usage.free / 2**20
    used = usage.used / usage.total if usage.total else 0.0
    summary = f"{free_mb / 1024:.1f} GiB free on the data disk ({used:.0%} used, at {path})"
    details = {"free_mb": round(free_mb), "used": round(used, 3), "path": str(path)}
    if free_mb < 200:
        return CheckResult(
            "disk", "fail", summary, fix="free space: the index and feedback need room", details=details
        )
    if free_mb < 1024 or used > 0.9:
        return CheckResult("disk", "warn", summary, fix="free some space soon", details=details)
    return CheckResult("disk", "ok", summary, details=details)
