"""What the performance report is made of, and how it runs one benchmark and reads its output.

A benchmark runs as its own subprocess (`run_command`), so one that crashes or hangs becomes a
FAILED row with the reason and no benchmark's imports or threads disturb another's; its figures are
read back from its --json output (`printed_json`) or from its text lines (`find_line`: the patterns
in the collectors are the contract, and the report test fails when a line changes).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

#: What a collector returns: figure -> (value, goal, vs baseline, status).
Figures = dict[str, tuple[str, str, str, str]]


@dataclass
class Row:
    """One figure of the report."""

    area: str
    figure: str
    value: str = ""
    goal: str = "-"
    vs_baseline: str = "-"
    status: str = "-"  # met / NOT met / info / SKIPPED / FAILED


class SkippedError(Exception):
    """The benchmark cannot run here (no data, no music); the message says why."""


@dataclass
class Bench:
    """A benchmark: its area, the figures it yields (fixed, so a missing one is visible) and its collector."""

    area: str
    figures: tuple[str, ...]
    collect: Callable[[bool], dict[str, tuple[str, str, str, str]]]  # figure -> (value, goal, vs, status)
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def run_command(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    """Run one benchmark; its stdout, or an exception naming the exit code and the last lines."""
    full_env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1", **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(BENCH), full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"timed out after {timeout:.0f} s") from exc
    if "SKIPPED" in proc.stdout:
        raise SkippedError(proc.stdout.strip().splitlines()[-1])
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def py(script: str, *args: str) -> list[str]:
    return [sys.executable, str(BENCH / script), *args]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "moodspeaker", *args]


def printed_json(text: str) -> Any:
    """The JSON object a benchmark printed (log lines before it are ignored)."""
    return json.loads(text[text.index("{") :])


def find_line(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"output changed: no line matches {pattern!r}")
    return match


def datasets() -> Path:
    data = Path(os.environ.get("MOODSPEAKER_DATA") or ROOT.parent / "shared" / "datasets")
    if not data.is_dir():
        raise SkippedError(f"no datasets at {data} (set MOODSPEAKER_DATA)")
    return data
