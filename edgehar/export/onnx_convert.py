"""PyTorch -> .onnx (dynamo exporter, opset 18), float32 or int8 QDQ via onnxruntime.

int8 ONNX keeps float input/output (QDQ format: QuantizeLinear/DequantizeLinear pairs around
integer-capable ops), with per-channel int8 weights and int8 activations calibrated on real
windows. ``reduce_range=True`` (7-bit weights) because on x86 CPUs without VNNI onnxruntime's
int8 kernels saturate and lose accuracy (shared/notes/edge-export.md, gotcha 8).
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np

from edgehar.errors import EdgeharError

ONNX_PRECISIONS = ("float32", "int8")


def convert_onnx(model, example, precision: str, calibration: np.ndarray | None = None) -> bytes:
    """Export an eval-mode ``model`` with a static batch-1 input shaped like ``example``."""
    import torch

    if precision not in ONNX_PRECISIONS:
        raise EdgeharError(f"ONNX precision must be one of {', '.join(ONNX_PRECISIONS)}, got {precision!r}")
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # "torchvision is not installed" x4
    with tempfile.TemporaryDirectory() as tmp:
        float_path = Path(tmp) / "float.onnx"
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            program = torch.onnx.export(
                model.eval(),
                (example.to(torch.float32),),
                input_names=["imu"],
                output_names=["logits"],
                opset_version=18,
                dynamo=True,
                external_data=False,
            )
            program.save(str(float_path))
        if precision == "float32":
            return float_path.read_bytes()
        if calibration is None or len(calibration) == 0:
            raise EdgeharError("int8 conversion needs calibration windows; none were given")
        return _quantize_qdq(float_path, Path(tmp), np.asarray(calibration, np.float32))


def _quantize_qdq(float_path: Path, tmp: Path, calibration: np.ndarray) -> bytes:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Windows(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(calibration)

        def get_next(self):
            window = next(self._it, None)
            return None if window is None else {"imu": window[None]}

    prepared = tmp / "prepared.onnx"
    out = tmp / "int8.onnx"
    quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(out),
        Windows(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        reduce_range=True,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
    )
    return out.read_bytes()
