"""Rows of `moodspeaker bench report`: the recommend benchmark gets the datasets the report found, and a
figure that was not reported shows no unfilled placeholder.

The report found ../shared/datasets without $MOODSPEAKER_DATA (its other benchmarks ran), but ran
`bench recommend` without `--data`: three rows FAILED with "the Spotify catalogue is missing".  The first
of them was named "recommendation latency, {k}k tracks, p50", its size placeholder as declared.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
LATENCY = "recommendation latency, {k}k tracks, p50"


def _report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report_rows", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)  # puts bench/ on sys.path, as the CLI does
    return module


def test_a_figure_not_reported_has_no_placeholder_in_its_name() -> None:
    report = _report()

    def broken(quick: bool) -> dict[str, tuple[str, str, str, str]]:
        raise RuntimeError("exit 2: the Spotify catalogue is missing")

    bench = report.run_bench(report.Bench("recommend", (LATENCY, "skip rate"), broken), True)
    assert [r.figure for r in bench.rows] == ["recommendation latency, ?k tracks, p50", "skip rate"]
    assert [r.status for r in bench.rows] == ["FAILED", "FAILED"]
    assert report._same_figure(LATENCY, bench.rows[0].figure)  # still the declared figure


def test_recommend_runs_on_the_datasets_the_report_found(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = ROOT.parent / "shared" / "datasets"
    if not (shared / "spotify-tracks-32k").is_dir():
        pytest.skip(f"no Spotify catalogue under {shared}")
    monkeypatch.delenv("MOODSPEAKER_DATA", raising=False)  # found by the report's own default
    _report()
    import report_music  # noqa: PLC0415  (bench/ is on the path once report.py is loaded)

    figures = report_music.recommend(True)
    latency = next(name for name in figures if name.startswith("recommendation latency, "))
    assert "{k}" not in latency and figures[latency][0].endswith(")")
    assert len(figures) == 3
    # three simulated listeners cannot judge the >= 40 % goal: a quick run shows the figure as info
    assert figures["skip-rate cut vs fixed mood table, worst style"][3] == "info"
