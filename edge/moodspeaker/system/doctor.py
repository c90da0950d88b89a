"""The doctor's checks: what works on this machine and, for what does not, what to do about it.

Usable on any machine: a laptop without camera or TPU gets "no camera" and "no TPU: CPU fallback"
as warnings, not failures, because the appliance still runs there.  A failure means something the
configuration asks for is broken (an enabled broker that refuses us, a replay file that is not
there, a full disk, an overheating or under-powered Pi).

This module runs them in order; the checks live in hardware_checks.py (camera, TPU, audio,
temperature, GPIO), setup_checks.py (config, model, library, broker, disk) and swap_check.py (the
camera's frames kept out of swap on a disk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from moodspeaker.config import Config
from moodspeaker.system.check_result import CheckResult, Status
from moodspeaker.system.hardware_checks import (
    check_audio,
    check_camera,
    check_gpio,
    check_temperature,
    check_tpu,
)
from moodspeaker.system.machine import Machine
from moodspeaker.system.setup_checks import (
    check_broker,
    check_config,
    check_disk,
    check_library,
    check_model,
)
from moodspeaker.system.swap_check import check_swap

__all__ = [
    "CHECK_NAMES",
    "CheckResult",
    "Machine",
    "Status",
    "check_audio",
    "check_broker",
    "check_camera",
    "check_config",
    "check_disk",
    "check_gpio",
    "check_library",
    "check_model",
    "check_swap",
    "check_temperature",
    "check_tpu",
    "exit_code",
    "run_checks",
]


CHECK_NAMES = (
    "config",
    "camera",
    "tpu",
    "model",
    "audio",
    "library",
    "broker",
    "disk",
    "swap",
    "temperature",
    "gpio",
)


def run_checks(
    config: Config,
    source: str,
    machine: Machine | None = None,
    only: frozenset[str] | None = None,
    broken: Sequence[str] = (),
) -> list[CheckResult]:
    """Run the checks (all, or the named ones) in a fixed order; one check's crash never hides the rest.
    `broken`: the rules between settings the config file breaks though it loads (`check_config`)."""
    m = machine or Machine()
    table: dict[str, Callable[[], CheckResult]] = {
        "config": lambda: check_config(config, source, broken),
        "camera": lambda: check_camera(config, m),
        "tpu": lambda: check_tpu(config, m),
        "model": lambda: check_model(config),
        "audio": lambda: check_audio(config, m),
        "library": lambda: check_library(config),
        "broker": lambda: check_broker(config, m),
        "disk": lambda: check_disk(config),
        "swap": lambda: check_swap(m),
        "temperature": lambda: check_temperature(m),
        "gpio": lambda: check_gpio(config, m),
    }
    results: list[CheckResult] = []
    for name in CHECK_NAMES:
        if only and name not in only:
            continue
        try:
            results.append(table[name]())
        except Exception as exc:  # a bug in one probe must not hide the other answers
            results.append(CheckResult(name, "fail", f"the check itself crashed: {exc!r}"))
    return results


def exit_code(results: list[CheckResult]) -> int:
    """0: nothing is broken (warnings are advice); 1: at least one check failed."""
    return 1 if any(r.status == "fail" for r in results) else 0
