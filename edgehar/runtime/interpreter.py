"""One way to call an exported model, whichever light interpreter the device has.

A Raspberry Pi may have ai-edge-litert, an older image tflite-runtime, a phone app onnxruntime;
the pipeline must not care. Each backend takes a float input laid out as the model wants it and
returns float outputs: integer (int8/uint8/int16) tensors are quantized and dequantized here with
the scale and zero point the model file itself declares (TFLite tensor details), or the card's for
ONNX, whose graphs do not carry them on their inputs.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Callable

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.modelcard import TensorSpec, dequantize, quantize

BACKENDS = ("auto", "litert", "tflite", "onnx")

# TFLite module per backend name; tried in this order by ``auto`` for .tflite files.
_TFLITE_MODULES = {"litert": "ai_edge_litert.interpreter", "tflite": "tflite_runtime.interpreter"}
_PIP_HINT = {
    "litert": "pip install ai-edge-litert (or edgehar[stream])",
    "tflite": "pip install tflite-runtime (needs numpy<2)",
    "onnx": "pip install onnxruntime (or edgehar[onnx])",
}


class Interpreter:
    """A loaded model: ``run(x)`` maps one float input to the float output vector."""

    def __init__(
        self,
        backend: str,
        input_spec: TensorSpec,
        output_spec: TensorSpec,
        call: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        self.backend = backend
        self.input_spec = input_spec
        self.output_spec = output_spec
        self._call = call

    def run(self, x: np.ndarray) -> np.ndarray:
        """Float input shaped like ``input_spec.shape`` -> float32 output (dequantized)."""
        return dequantize(self._call(quantize(x, self.input_spec)), self.output_spec)


def open_interpreter(
    path: str | Path,
    backend: str = "auto",
    card_input: TensorSpec | None = None,
    card_output: TensorSpec | None = None,
    num_threads: int = 1,
) -> Interpreter:
    """Load ``path`` with the chosen backend (``auto``: by file type, LiteRT before tflite-runtime)."""
    p = Path(path)
    if backend not in BACKENDS:
        raise EdgeharError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if not p.is_file():
        raise EdgeharError(f"{p}: model file not found")
    is_onnx = p.suffix.lower() == ".onnx"
    if backend == "auto":
        if is_onnx:
            return _open_onnx(p, card_input, card_output, num_threads)
        for name in _TFLITE_MODULES:
            if _available(_TFLITE_MODULES[name]):
                return _open_tflite(p, name, num_threads)
        raise EdgeharError(f"{p}: no TFLite interpreter installed; {_PIP_HINT['litert']}")
    if backend == "onnx":
        if not is_onnx:
            raise EdgeharError(f"{p}: --backend onnx needs an .onnx model")
        return _open_onnx(p, card_input, card_output, num_threads)
    if is_onnx:
        raise EdgeharError(f"{p}: --backend {backend} needs a .tflite model")
    return _open_tflite(p, backend, num_threads)


def _available(module: str) -> bool:
    return importlib.util.find_spec(module.split(".")[0]) is not None


def _import(backend: str, module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise EdgeharError(f"--backend {backend}: not installed; {_PIP_HINT[backend]}") from None


def _tflite_spec(detail: dict) -> TensorSpec:
    scale, zero = detail.get("quantization", (0.0, 0))
    return TensorSpec(
        shape=tuple(int(s) for s in detail["shape"]),
        dtype=np.dtype(detail["dtype"]).name,
        scale=float(scale),
        zero_point=int(zero),
    )


def _open_tflite(path: Path, backend: str, num_threads: int) -> Interpreter:
    module = _import(backend, _TFLITE_MODULES[backend])
    try:
        interp = module.Interpreter(model_path=str(path), num_threads=num_threads)
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise EdgeharError(f"{path}: {backend} cannot load this model ({exc})") from None
    inputs, outputs = interp.get_input_details(), interp.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
        raise EdgeharError(f"{path}: expected one input and one output, got {len(inputs)} and {len(outputs)}")
    in_index, out_index = inputs[0]["index"], outputs[0]["index"]

    def call(x: np.ndarray) -> np.ndarray:
        interp.set_tensor(in_index, x)
        interp.invoke()
        return interp.get_tensor(out_index)

    return Interpreter(backend, _tflite_spec(inputs[0]), _tflite_spec(outputs[0]), call)


_ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(int16)": "int16",
}


def _ort_spec(arg, card: TensorSpec | None, path: Path) -> TensorSpec:
    dtype = _ORT_TYPES.get(arg.type)
    if dtype is None:
        raise EdgeharError(f"{path}: unsupported ONNX tensor type {arg.type} for {arg.name!r}")
    shape = tuple(d if isinstance(d, int) and d > 0 else 1 for d in arg.shape)
    if dtype in ("int8", "uint8", "int16"):
        if card is None or not card.quantized:
            raise EdgeharError(f"{path}: integer tensor {arg.name!r} but the card gives no scale/zero point")
        return TensorSpec(shape, dtype, card.scale, card.zero_point)
    return TensorSpec(shape, dtype)


def _open_onnx(
    path: Path, card_input: TensorSpec | None, card_output: TensorSpec | None, num_threads: int
) -> Interpreter:
    ort = _import("onnx", "onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for bad graphs
        raise EdgeharError(f"{path}: onnxruntime cannot load this model ({exc})") from None
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) != 1:
        raise EdgeharError(f"{path}: expected one input and one output, got {len(inputs)} and {len(outputs)}")
    in_name, out_name = inputs[0].name, outputs[0].name

    def call(x: np.ndarray) -> np.ndarray:
        return session.run([out_name], {in_name: x})[0]

    return Interpreter(
        "onnx", _ort_spec(inputs[0], card_input, path), _ort_spec(outputs[0], card_output, path), call
    )
