"""`make edgetpu`: check the int8 model, then compile it for the Edge TPU where the compiler exists.

The compiler (`edgetpu_compiler`, Coral's apt repository, x86-64 Debian/Ubuntu only) writes
`expression_int8_edgetpu.tflite` and a log next to the model; expression.json then names the compiled
file so the appliance uses it when a Coral is plugged in.  Without the compiler this says so and leaves
the model CPU-only (the appliance falls back to the CPU model anyway).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from models.training.edgetpu_check import check_model

from moodspeaker.util.atomic import atomic_write_text

DEFAULT_JSON = Path(__file__).resolve().parents[1] / "edgetpu" / "expression.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="the model's metadata JSON")
    parser.add_argument("--compiler", default="edgetpu_compiler", help="compiler executable")
    args = parser.parse_args(argv)
    meta = json.loads(args.json.read_text(encoding="utf-8"))
    model = args.json.parent / meta["cpu_model"]
    report = check_model(model)
    print(f"readiness check of {model}: {'ok' if report.ok else 'FAILED'}")
    for problem in report.problems:
        print(f"  PROBLEM: {problem}")
    if not report.ok:
        return 1
    compiler = shutil.which(args.compiler)
    if compiler is None:
        print(
            f"{args.compiler} is not installed here (it comes from Coral's apt repository, x86-64 "
            "Debian/Ubuntu only: apt-get install edgetpu-compiler). The model stays CPU-only; "
            f"{args.json.name} keeps edgetpu_model = null."
        )
        return 0
    out_dir = model.parent
    proc = subprocess.run(
        [compiler, "-s", "-o", str(out_dir), str(model)], capture_output=True, text=True, check=False
    )
    log_path = out_dir / f"{model.stem}_edgetpu_compile.txt"
    atomic_write_text(log_path, proc.stdout + proc.stderr)
    print(proc.stdout + proc.stderr)
    compiled = out_dir / f"{model.stem}_edgetpu.tflite"
    if proc.returncode != 0 or not compiled.is_file():
        print(f"edgetpu_compiler failed (exit {proc.returncode}); see {log_path}", file=sys.stderr)
        return 1
    meta["edgetpu_model"] = compiled.name
    atomic_write_text(args.json, json.dumps(meta, indent=2) + "\n")
    print(f"wrote {compiled} and its log {log_path}; {args.json.name} now names it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
