"""Edge TPU readiness of a .tflite model: every op, every tensor type, shapes and parameter size.

    python -m models.training.edgetpu_check models/edgetpu/expression_int8.tflite [--json]

The Edge TPU compiler maps an op to the TPU only when it is on Coral's supported list, all its tensors
are 8-bit quantized and every shape is static; the first unsupported op sends it and everything after
it back to the CPU.  Parameters should fit the ~8 MB on-chip memory (else they stream from the host on
every inference).  This check finds all of that on any machine (the compiler itself only exists for
x86-64 Debian/Ubuntu) and exits non-zero with the reasons.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

#: TFLite builtin ops the Edge TPU compiler (v16) maps to the TPU (coral.ai/docs/edgetpu/models-intro).
EDGETPU_OPS: Final = frozenset(
    {
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "EXPAND_DIMS",
        "FULLY_CONNECTED", "L2_NORMALIZATION", "LOGISTIC", "LSTM", "MAXIMUM", "MAX_POOL_2D", "MEAN",
        "MINIMUM", "MUL", "PACK", "PAD", "PRELU", "QUANTIZE", "REDUCE_MAX", "REDUCE_MIN", "RELU", "RELU6",
        "RELU_N1_TO_1", "RESHAPE", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "RSQRT", "SLICE",
        "SOFTMAX", "SPACE_TO_DEPTH", "SPLIT", "SQUEEZE", "STRIDED_SLICE", "SUB", "SUM",
        "SQUARED_DIFFERENCE", "TANH", "TRANSPOSE", "TRANSPOSE_CONV", "HARD_SWISH",
    }
)  # fmt: skip
PARAMETER_BUDGET: Final = 8 * 1024 * 1024


@dataclass
class CheckReport:
    model: str
    ops: list[dict[str, Any]] = field(default_factory=list)
    op_counts: dict[str, int] = field(default_factory=dict)
    tensor_types: dict[str, int] = field(default_factory=dict)
    parameter_bytes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "ok": self.ok,
            "op_counts": self.op_counts,
            "tensor_types": self.tensor_types,
            "parameter_bytes": self.parameter_bytes,
            "parameter_budget_bytes": PARAMETER_BUDGET,
            "problems": self.problems,
            "ops": self.ops,
        }


def check_model(path: Path) -> CheckReport:
    """Inspect the model with the TFLite interpreter; every problem found is listed, not just the first."""
    report = CheckReport(model=str(path))
    # Without the default XNNPACK delegate, which would otherwise hide the ops behind one DELEGATE node.
    interp = Interpreter(
        model_path=str(path), experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    interp.allocate_tensors()
    tensors = {int(t["index"]): t for t in interp.get_tensor_details()}
    ops = interp._get_ops_details()  # the public API has no op list
    const_ids: set[int] = set()
    produced = {int(i) for op in ops for i in op["outputs"]}
    graph_inputs = {int(d["index"]) for d in interp.get_input_details()}
    for op in ops:
        name = str(op["op_name"])
        report.op_counts[name] = report.op_counts.get(name, 0) + 1
        types = []
        for idx in [*op["inputs"], *op["outputs"]]:
            if idx < 0:
                continue
            t = tensors[int(idx)]
            types.append(np.dtype(t["dtype"]).name)
            if int(idx) not in produced and int(idx) not in graph_inputs:
                const_ids.add(int(idx))
        report.ops.append({"index": int(op["index"]), "op": name, "types": sorted(set(types))})
        if name not in EDGETPU_OPS:
            report.problems.append(f"op #{op['index']} {name}: not supported by the Edge TPU")
        for idx in [*op["inputs"], *op["outputs"]]:
            if idx < 0:
                continue
            t = tensors[int(idx)]
            dtype = np.dtype(t["dtype"])
            if dtype.type in (np.int8, np.uint8):
                continue
            if dtype.type is np.int32 and int(idx) in const_ids:
                continue  # biases of conv/FC and axis/shape parameters are int32 constants by design
            report.problems.append(
                f"op #{op['index']} {name}: tensor {t['name']!r} is {dtype.name}, not 8-bit quantized"
            )
    for t in tensors.values():
        dtype = np.dtype(t["dtype"]).name
        report.tensor_types[dtype] = report.tensor_types.get(dtype, 0) + 1
        sig = t.get("shape_signature")
        if sig is not None and any(int(d) < 0 for d in sig):
            report.problems.append(f"tensor {t['name']!r}: dynamic shape {list(sig)}")
    for idx in const_ids:
        t = tensors[idx]
        report.parameter_bytes += int(np.prod(t["shape"])) * np.dtype(t["dtype"]).itemsize
    if report.parameter_bytes > PARAMETER_BUDGET:
        report.problems.append(
            f"parameters take {report.parameter_bytes} bytes, more than the Edge TPU's {PARAMETER_BUDGET}"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("model", type=Path)
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        print(f"edgetpu-check: {args.model}: no such file", file=sys.stderr)
        return 2
    try:
        report = check_model(args.model)
    except (ValueError, RuntimeError) as exc:
        print(f"edgetpu-check: {args.model}: not a usable TFLite model ({exc})", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"{args.model}: {sum(report.op_counts.values())} ops")
        for name, count in sorted(report.op_counts.items()):
            mark = "ok " if name in EDGETPU_OPS else "NO "
            print(f"  {mark} {name} x{count}")
        print(f"  tensor types: {report.tensor_types}")
        print(f"  parameters: {report.parameter_bytes} bytes (budget {PARAMETER_BUDGET})")
        for problem in report.problems:
            print(f"  PROBLEM: {problem}")
        print("READY for the Edge TPU compiler" if report.ok else "NOT ready for the Edge TPU")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
