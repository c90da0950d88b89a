"""`moodspeaker doctor`: check camera, TPU, audio, library, broker, disk and temperature.

Prints what works and, for what does not, what to do.  Exit code: 0 when nothing is broken
(warnings such as "no camera" or "no TPU: CPU fallback" are advice), 1 when a check failed (the
config check too when the file breaks a rule between settings it is kept working despite: the speaker
does not run as written), 2 when the configuration does not load at all (as every command).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from moodspeaker.config import Config, ConfigError
from moodspeaker.config.load import config_path, file_conflicts
from moodspeaker.system.doctor import CHECK_NAMES, exit_code, run_checks  # stdlib only: cheap to import

_MARK = {"ok": " ok ", "warn": "warn", "fail": "FAIL", "skip": " -- "}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--only",
        action="append",
        choices=CHECK_NAMES,
        metavar="CHECK",
        help=f"run only this check (repeatable): {', '.join(CHECK_NAMES)}",
    )


def config_error_json(report: dict[str, Any]) -> dict[str, Any]:
    """`doctor --json` on a configuration that does not load: the usual object, with one failed
    "config" check naming the file and line (the other checks need a configuration to run)."""
    from moodspeaker.system.check_result import CheckResult

    check = CheckResult(
        "config",
        "fail",
        report["error"],
        fix="correct the file (moodspeaker config check lists every problem)",
        details={"source": report["config"], "line": next((p["line"] for p in report["problems"]), None)},
    )
    return {**report, "checks": [check.to_json()]}


def run(args: argparse.Namespace, config: Config) -> int:
    path = config_path(args.config)
    source = str(path) if path else "built-in defaults (no config file)"
    try:  # the rules the file breaks though it loads: the "config" check fails on them
        broken = file_conflicts(args.config)
    except ConfigError as exc:  # the file changed since it was loaded a moment ago
        broken = exc.problems
    results = run_checks(config, source, only=frozenset(args.only) if args.only else None, broken=broken)
    code = exit_code(results)
    if args.json:
        print(json.dumps({"ok": code == 0, "checks": [r.to_json() for r in results]}, indent=1))
        return code
    print("Moodspeaker doctor")
    for r in results:
        print(f"  [{_MARK[r.status]}] {r.name:<12} {r.summary}")
        if r.fix and r.status in {"warn", "fail"}:
            print(f"         {'':<12} fix: {r.fix}")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "warn", "fail")}
    verdict = "nothing is broken" if code == 0 else "something needs fixing"
    print(f"{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failure(s): {verdict}.")
    return code
