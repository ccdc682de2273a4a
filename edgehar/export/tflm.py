"""TensorFlow Lite Micro itself, on this machine: can it run the model, and in how big an arena?

Uses the ``tflite-micro`` Python package (the TFLM C++ interpreter with its reference kernels,
built for the host). The arena size is *measured*, not estimated: the model is loaded into a
generous arena, invoked once, and TFLM's recording allocator reports how many bytes of the arena
it used (head: the planned, reused activation buffers; tail: persistent tensor structs, kernel
data). Bisecting ``arena_size`` instead is not an option: the Python wrapper crashes (SIGSEGV)
on some failed allocations rather than raising. The host is 64-bit, so TFLM's bookkeeping structs
are larger than on a 32-bit Cortex-M; optimized kernels (CMSIS-NN) may ask for scratch buffers the
reference kernels do not, hence the documented :data:`ARENA_HEADROOM` added for firmware.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from dataclasses import dataclass

import numpy as np

from edgehar.errors import EdgeharError

ARENA_HEADROOM = 2048  # bytes for optimized-kernel scratch buffers (CMSIS-NN im2col), rounded to 16
_ARENA_LIMIT = 8 * 1024 * 1024
_TOTAL = re.compile(rb"Arena allocation total (\d+) bytes")


@dataclass(frozen=True)
class TflmModel:
    """A model loaded in TFLite Micro, with the arena bytes TFLM reported using."""

    arena_bytes: int
    interpreter: object

    def run(self, x: np.ndarray) -> np.ndarray:
        """One input tensor (already quantized) -> the raw output tensor."""
        self.interpreter.set_input(x, 0)
        self.interpreter.invoke()
        return np.asarray(self.interpreter.get_output(0))

    @property
    def firmware_arena_bytes(self) -> int:
        """Arena to reserve on a microcontroller: measured plus headroom, 16-byte aligned."""
        return (self.arena_bytes + ARENA_HEADROOM + 15) // 16 * 16


@contextlib.contextmanager
def _capture_fd2():
    """Collect what C++ code writes to file descriptor 2 (TFLM logs there, not to sys.stderr)."""
    captured = io.BytesIO()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.write(tmp.read())


def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        raise EdgeharError(
            "TensorFlow Lite Micro is not installed (pip install tflite-micro, part of edgehar[export]); "
            "it is needed to prove the model runs on a microcontroller and to measure its arena"
        ) from None
    return runtime


def load_tflm(model: bytes) -> TflmModel:
    """Load ``model`` in TFLM, invoke it once and read back the arena it used, or refuse."""
    runtime = _runtime()
    with _capture_fd2() as log:
        try:
            # Generous, so allocation never fails (a failed allocation can crash the wrapper).
            interp = runtime.Interpreter.from_bytes(model, arena_size=max(_ARENA_LIMIT, 10 * len(model)))
            detail = interp.get_input_details(0)
            interp.set_input(np.zeros(detail["shape"], detail["dtype"]), 0)
            interp.invoke()
            interp.print_allocations()
        except (RuntimeError, ValueError, TypeError) as exc:
            failure = exc
        else:
            failure = None
    text = log.getvalue()
    if failure is not None:
        reason = text.decode(errors="replace").strip().splitlines()
        raise EdgeharError(
            "TensorFlow Lite Micro cannot run this model"
            + (f" ({reason[0]})" if reason else f" ({failure.__class__.__name__})")
        )
    found = _TOTAL.search(text)
    if found is None:
        raise EdgeharError("TensorFlow Lite Micro ran the model but did not report its arena use")
    return TflmModel(arena_bytes=int(found.group(1)), interpreter=interp)
