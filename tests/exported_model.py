"""Tiny exported models with a model card, for tests of anything that consumes model files.

``export_tiny_models(out_dir)`` converts a small :class:`EdgeStudent` with the real exporters
(litert-torch, the dynamo ONNX exporter, onnxruntime's quantizer) and embeds a real card, so the
files are exactly what ``edgehar export`` writes, only smaller. Import the session fixture
``exported_models`` into a test module (``from exported_model import exported_models``) to share
one conversion (~10 s) across tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from edgehar.modelcard import ModelCard, TensorSpec

LABELS = ("walk", "jog", "wave")
CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
UNITS = ("g", "g", "g", "deg/s", "deg/s", "deg/s")


@dataclass(frozen=True)
class ExportedModels:
    tflite: Path  # int8 (int8 input and output tensors)
    tflite_float: Path  # float32
    onnx: Path  # float32
    card: ModelCard  # the int8 .tflite's card
    model: object  # the float torch module the files came from


def tiny_card(window_steps: int = 16) -> ModelCard:
    return ModelCard(
        label_names=LABELS,
        source_rate_hz=50.0,
        window_steps=window_steps,
        window_seconds=1.0,
        default_hop_seconds=0.25,
        channels=CHANNELS,
        units=UNITS,
        norm_mean=(0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
        norm_std=(0.5, 0.5, 0.5, 50.0, 50.0, 50.0),
        input=TensorSpec((1, len(CHANNELS), window_steps), "float32"),
        output=TensorSpec((1, len(LABELS)), "float32"),
        resample="linear",
        run_id="tiny-test-run",
        dataset="synthetic",
        protocol="random",
        edgehar_version="test",
    )


def export_tiny_models(out_dir: Path, window_steps: int = 16, seed: int = 0) -> ExportedModels:
    """Write ``tiny_int8.tflite``, ``tiny_float32.tflite`` and ``tiny_float32.onnx`` into ``out_dir``."""
    import torch

    from edgehar.export.card_embedding import embed_card_onnx, embed_card_tflite, sha256
    from edgehar.export.onnx_convert import convert_onnx
    from edgehar.export.tflite_convert import convert_tflite, tensor_specs
    from edgehar.models.edge_student import EdgeStudent, EdgeStudentConfig

    torch.manual_seed(seed)
    model = EdgeStudent(
        EdgeStudentConfig(in_channels=len(CHANNELS), num_classes=len(LABELS), window_steps=window_steps,
                          width=0.25, depth=1, kernel_size=3)
    ).eval()
    rng = np.random.default_rng(seed)
    calibration = rng.standard_normal((64, len(CHANNELS), window_steps)).astype(np.float32)
    example = torch.from_numpy(calibration[:1])
    base = tiny_card(window_steps)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    cards: dict[str, ModelCard] = {}
    for precision in ("int8", "float32"):
        raw = convert_tflite(model, example, precision, calibration)
        inp, outp = tensor_specs(raw)
        cards[precision] = base.with_updates(input=inp, output=outp, precision=precision, model_sha256=sha256(raw))
        paths[precision] = out_dir / f"tiny_{precision}.tflite"
        paths[precision].write_bytes(embed_card_tflite(raw, cards[precision]))
    raw_onnx = convert_onnx(model, example, "float32")
    onnx_path = out_dir / "tiny_float32.onnx"
    onnx_path.write_bytes(embed_card_onnx(raw_onnx, base.with_updates(model_sha256=sha256(raw_onnx))))
    return ExportedModels(paths["int8"], paths["float32"], onnx_path, cards["int8"], model)


@pytest.fixture(scope="session")
def exported_models(tmp_path_factory) -> ExportedModels:
    pytest.importorskip("litert_torch", reason="needs the export toolchain (pip install edgehar[export])")
    return export_tiny_models(tmp_path_factory.mktemp("exported"))
