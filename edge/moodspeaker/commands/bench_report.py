"""`moodspeaker bench report [--quick] [--json]`: run every benchmark and print one table.

The benchmarks live in the checkout's bench/ folder (they need the dev extra and, for some rows,
the datasets), so this command runs bench/report.py from there; an installed copy without the
checkout says so instead.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from moodspeaker.config import Config

REPORT = Path(__file__).resolve().parents[3] / "bench" / "report.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, four benchmarks at a time (about a minute)"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON object")
    parser.add_argument("--only", action="append", metavar="AREA", help="only this area (repeatable)")


def run(args: argparse.Namespace, config: Config) -> int:
    if not REPORT.is_file():
        print(
            f"moodspeaker bench report: {REPORT} is missing; the benchmarks ship with the source "
            "checkout (git clone), not with an installed package",
            file=sys.stderr,
        )
        return 2
    spec = importlib.util.spec_from_file_location("moodspeaker_bench_report", REPORT)
    if spec is None or spec.loader is None:
        print(f"moodspeaker bench report: cannot load {REPORT}", file=sys.stderr)
        return 2
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    areas = sorted({bench.area for bench in module.BENCHES})
    unknown = [area for area in args.only or [] if area not in areas]
    if unknown:  # else the report ran nothing and said "0 figures" with exit 0
        print(
            f"moodspeaker bench report: no area {', '.join(map(repr, unknown))}; "
            f"the areas are {', '.join(map(repr, areas))}",
            file=sys.stderr,
        )
        return 2
    argv = [*(["--quick"] if args.quick else []), *(["--json"] if args.json else [])]
    for area in args.only or []:
        argv += ["--only", area]
    code: int = module.main(argv)
    return code
