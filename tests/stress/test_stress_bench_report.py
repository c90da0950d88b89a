"""`moodspeaker bench report --quick` runs every benchmark of the project and prints every row.

A benchmark that breaks (crashes, hangs, or changes the output lines the report reads) makes its rows
FAILED and this test fail.  Rows may be SKIPPED only for a stated reason: the 1M-track index in
--quick, dataset rows without $MOODSPEAKER_DATA, analysis rows without real music on the machine.
Figures themselves are not asserted (speed is shown by the report, not tested).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _report_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report_under_test", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_quick_report_prints_every_row(tmp_path: Path) -> None:
    report = _report_module()
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "moodspeaker", "bench", "report", "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=840,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.stdout.strip(), proc.stderr[-2000:]
    out = json.loads(proc.stdout[proc.stdout.index("{") :])
    rows = out["rows"]
    failed = [r for r in rows if r["status"] == "FAILED"]
    assert not failed, json.dumps(failed, indent=1)
    assert proc.returncode == 0, proc.stderr[-2000:]
    declared = [(b.area, f) for b in report.BENCHES for f in b.figures]
    for area, figure in declared:
        match = [r for r in rows if r["area"] == area and report._same_figure(figure, r["figure"])]
        assert len(match) == 1, f"{area}: {figure!r} printed {len(match)} times"
    assert len(rows) == len(declared), "a benchmark reported a figure the report does not declare"
    data = os.environ.get("MOODSPEAKER_DATA")
    has_data = bool(data) and Path(str(data)).is_dir()
    for r in rows:
        if r["status"] != "SKIPPED":
            assert r["value"] and r["goal"] and r["vs_baseline"], r
            continue
        reason = r["value"]
        allowed = (
            "full run only" in reason
            or (not has_data and "MOODSPEAKER_DATA" in reason)
            or (r["area"] == "analysis" and "no real music" in reason)
            or "no original labels" in reason
        )
        assert allowed, f"skipped without an accepted reason: {r}"


def test_text_table_has_one_line_per_figure() -> None:
    """The table renderer: a header, a rule, then exactly one line per row with its goal beside it."""
    report = _report_module()
    rows = [
        report.Row(
            "index", "index top-10 query at 100k tracks, p50", "0.7 ms", "<= 10 ms", "350x SQL", "met"
        ),
        report.Row("smoother", "false mood flips per hour", "48", "< rolling 8 s", "0.33x", "met"),
    ]
    lines = report.render(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert "goal" in lines[0] and "vs baseline" in lines[0]
    assert "<= 10 ms" in lines[2] and "350x SQL" in lines[2]
    assert lines[3].startswith("smoother")


def test_a_broken_benchmark_is_a_failed_row_not_a_dead_report() -> None:
    report = _report_module()

    def broken(quick: bool) -> dict[str, tuple[str, str, str, str]]:
        raise RuntimeError("output changed: no line matches 'x'")

    bench = report.run_bench(report.Bench("demo", ("one", "two"), broken), True)
    assert [r.status for r in bench.rows] == ["FAILED", "FAILED"]
    assert "output changed" in bench.rows[0].value
