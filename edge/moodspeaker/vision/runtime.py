"""One place that builds TFLite interpreters: Edge TPU when asked and present, else the CPU.

Frigate makes Coral-vs-CPU a config switch but stops when the TPU is missing; the speaker must keep
working (a loose USB plug should not silence it), so asking for the Edge TPU here means "try it, and
fall back to the CPU model with a logged, reported reason".  The Edge TPU is reached only through
`load_delegate("libedgetpu.so.1")` (never PyPI's unrelated `pycoral`); tests replace just that loader.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ai_edge_litert.interpreter import Interpreter, load_delegate

log = logging.getLogger(__name__)

#: The Edge TPU runtime library (Debian package libedgetpu1-std or -max from Coral's repository).
EDGETPU_LIBRARY = "libedgetpu.so.1"


class ModelError(RuntimeError):
    """A model file is missing, unreadable or does not match its metadata; the message names the file."""


def _delegate() -> Any:
    """Load the Edge TPU delegate (module-level so tests can replace this boundary only)."""
    return load_delegate(EDGETPU_LIBRARY)


def _cpu_interpreter(path: Path, threads: int) -> Interpreter:
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        interpreter = Interpreter(model_path=str(path), num_threads=threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: not a usable TFLite model ({exc})") from exc
    return interpreter


def make_interpreter(
    model_path: str | Path,
    *,
    edgetpu: bool,
    threads: int,
    cpu_fallback: str | Path | None = None,
) -> tuple[Interpreter, str, str | None]:
    """Build an interpreter with tensors allocated; returns (interpreter, backend, fallback reason).

    backend is "edgetpu" or "cpu".  With `edgetpu=True`, `model_path` is the Edge-TPU-compiled model
    and `cpu_fallback` the plain model to run instead when the delegate cannot be loaded or the
    compiled model cannot be opened (an Edge TPU model's custom op does not run on the CPU; without
    `cpu_fallback`, `model_path` itself is tried on the CPU).  The reason is None when nothing fell back.
    """
    path = Path(model_path)
    if not edgetpu:
        return _cpu_interpreter(path, threads), "cpu", None
    reason: str
    if not path.is_file():
        reason = f"Edge TPU model not found: {path}"
    else:
        try:
            delegate = _delegate()
        except (ValueError, OSError, RuntimeError) as exc:
            reason = f"Edge TPU not available ({EDGETPU_LIBRARY}: {exc})"
        else:
            try:
                interpreter = Interpreter(
                    model_path=str(path), experimental_delegates=[delegate], num_threads=threads
                )
                interpreter.allocate_tensors()
            except (ValueError, RuntimeError) as exc:
                reason = f"Edge TPU failed to load {path.name} ({exc})"
            else:
                log.info("expression model on the Edge TPU: %s", path)
                return interpreter, "edgetpu", None
    fallback = Path(cpu_fallback) if cpu_fallback is not None else path
    reason = f"{reason}; running {fallback.name} on the CPU"
    log.warning("%s", reason)
    return _cpu_interpreter(fallback, threads), "cpu", reason
