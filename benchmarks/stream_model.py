"""The model the streaming benchmarks run: a default-size edge student (about 47k parameters,
27 classes, 50 steps over a 3 s window, FFT resampling as training defaults to) exported with the
real exporters and a UTD-MHAD-shaped card. Weights are random: speed does not depend on them.

Usage: python benchmarks/stream_model.py OUT.tflite|OUT.onnx [int8|float32]
The benchmarks call :func:`ensure_model`, which builds the file in a separate process, so the
process being measured never imports torch.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
UNITS = ("g", "g", "g", "deg/s", "deg/s", "deg/s")
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "out" / "bench"


def ensure_model(path: Path | None = None, precision: str = "int8") -> Path:
    """``path`` if given, else the cached default student (built on first use)."""
    if path is not None:
        return path
    target = DEFAULT_DIR / f"student_{precision}.tflite"
    if not target.exists():
        subprocess.run([sys.executable, __file__, str(target), precision], check=True)
    return target


def build(out: Path, precision: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    import numpy as np
    import torch

    from edgehar.export.card_embedding import embed_card_onnx, embed_card_tflite, sha256
    from edgehar.export.onnx_convert import convert_onnx
    from edgehar.export.tflite_convert import convert_tflite, tensor_specs
    from edgehar.modelcard import ModelCard, TensorSpec
    from edgehar.models.edge_student import EdgeStudent, EdgeStudentConfig

    torch.manual_seed(0)
    model = EdgeStudent(EdgeStudentConfig()).eval()
    calibration = np.random.default_rng(0).standard_normal((128, 6, 50)).astype(np.float32)
    example = torch.from_numpy(calibration[:1])
    card = ModelCard(
        label_names=tuple(f"a{i}" for i in range(1, 28)), source_rate_hz=50.0, window_steps=50,
        window_seconds=3.0, default_hop_seconds=0.5, channels=CHANNELS, units=UNITS,
        norm_mean=(0.0,) * 6, norm_std=(0.5, 0.5, 0.5, 100.0, 100.0, 100.0),
        input=TensorSpec((1, 6, 50), "float32"), output=TensorSpec((1, 27), "float32"),
        resample="fft", precision=precision, run_id="benchmark-random-weights",
    )
    if out.suffix == ".onnx":
        raw = convert_onnx(model, example, precision)
        out.write_bytes(embed_card_onnx(raw, card.with_updates(model_sha256=sha256(raw))))
    else:
        raw = convert_tflite(model, example, precision, calibration)
        inp, outp = tensor_specs(raw)
        out.write_bytes(embed_card_tflite(raw, card.with_updates(input=inp, output=outp, model_sha256=sha256(raw))))
    print(f"wrote {out}")


if __name__ == "__main__":
    build(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "int8")
