"""Exported files, checked through real interpreters: tensor types, cards, TFLM, the C array.

Uses the tiny exported student of ``exported_model`` (real litert-torch / ONNX conversion).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from exported_model import exported_models  # noqa: F401 (pytest fixture)

from edgehar.errors import EdgeharError
from edgehar.modelcard import read_card

pytest.importorskip("litert_torch", reason="needs the export toolchain (pip install edgehar[export])")


def _windows(n: int, card, seed: int = 1) -> np.ndarray:
    """Raw windows in the card's units, at twice the model's steps (so resampling is exercised)."""
    rng = np.random.default_rng(seed)
    mean = np.asarray(card.norm_mean, np.float32)[None, :, None]
    std = np.asarray(card.norm_std, np.float32)[None, :, None]
    return (mean + std * rng.standard_normal((n, len(card.channels), 2 * card.window_steps))).astype(np.float32)


def test_int8_tflite_is_integer_only_with_int8_io(exported_models):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from edgehar.export.tflite_convert import integer_only_violations

    data = exported_models.tflite.read_bytes()
    assert integer_only_violations(data) == []
    interp = Interpreter(
        model_path=str(exported_models.tflite),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8
    assert inp["quantization"][0] > 0 and out["quantization"][0] > 0
    float_like = {np.float32, np.float16, np.float64}
    for op in interp._get_ops_details():
        for index in list(op["inputs"]) + list(op["outputs"]):
            if index >= 0:
                assert interp._get_tensor_details(index, 0)["dtype"] not in float_like, op["op_name"]
    float_data = exported_models.tflite_float.read_bytes()
    assert any("float" in p for p in integer_only_violations(float_data))


def test_cards_round_trip_for_both_formats(exported_models):
    card = read_card(exported_models.tflite)
    assert card == exported_models.card
    assert card.input.dtype == "int8" and card.precision == "int8"
    onnx_card = read_card(exported_models.onnx)
    assert onnx_card.label_names == card.label_names and onnx_card.input.dtype == "float32"
    assert len(card.model_sha256) == 64 and card.model_sha256 != onnx_card.model_sha256


def test_files_agree_with_the_float_model(exported_models):
    import torch

    from edgehar.export.evaluate import predict_file

    card = exported_models.card
    raw = _windows(64, card)
    with torch.no_grad():
        ref = exported_models.model(torch.from_numpy(card.normalize(raw))).numpy()
    for path, tol in ((exported_models.tflite_float, 1e-4), (exported_models.onnx, 1e-4)):
        logits = predict_file(path, raw)
        assert np.max(np.abs(logits - ref)) < tol, path.name
    int8 = predict_file(exported_models.tflite, raw)
    assert np.mean(int8.argmax(1) == ref.argmax(1)) >= 0.85
    assert np.max(np.abs(int8 - ref)) < 0.25 * np.max(np.abs(ref)) + 0.05


def test_tflm_runs_the_int8_file_like_litert(exported_models):
    pytest.importorskip("tflite_micro", reason="needs tflite-micro")
    from edgehar.export.evaluate import predict_file, predict_tflm
    from edgehar.export.tflm import load_tflm

    data = exported_models.tflite.read_bytes()
    tflm = load_tflm(data)
    assert 256 <= tflm.arena_bytes < 64 * 1024  # the recording allocator reports real use
    assert tflm.firmware_arena_bytes > tflm.arena_bytes and tflm.firmware_arena_bytes % 16 == 0
    raw = _windows(16, exported_models.card)
    tflm_logits = predict_tflm(data, exported_models.card, raw, tflm)
    litert_logits = predict_file(exported_models.tflite, raw)
    # Same integer kernels semantics: outputs match to within one quantization step.
    assert np.max(np.abs(tflm_logits - litert_logits)) <= exported_models.card.output.scale * 1.01


def test_tflm_refuses_an_arena_it_cannot_fit():
    pytest.importorskip("tflite_micro", reason="needs tflite-micro")
    from edgehar.export.tflm import load_tflm

    with pytest.raises(EdgeharError, match="TensorFlow Lite Micro cannot run this model"):
        load_tflm(b"\x10\x00\x00\x00TFL3" + b"\x00" * 64)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to compile the generated C")
def test_c_source_compiles_and_holds_the_exact_bytes(exported_models, tmp_path: Path):
    from edgehar.export.c_source import write_c_source

    data = exported_models.tflite.read_bytes()
    header, source = write_c_source(data, exported_models.card, 4096, 3000, tmp_path / "edge-model")
    main = tmp_path / "main.c"
    main.write_text(
        '#include <stdio.h>\n#include <stdint.h>\n#include "edge-model.h"\n'
        "int main(void) {\n"
        "  if (((uintptr_t)edge_model_model) % 16 != 0) return 3;\n"
        "  fwrite(edge_model_model, 1, edge_model_model_len, stdout);\n"
        '  fprintf(stderr, "%d %d %s %d", EDGE_MODEL_ARENA_SIZE, EDGE_MODEL_NUM_CLASSES, edge_model_labels[2],'
        " EDGE_MODEL_INPUT_ZERO_POINT);\n"
        "  return 0;\n}\n"
    )
    exe = tmp_path / "dump"
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", "-o", str(exe), str(main), str(source)], check=True)
    done = subprocess.run([str(exe)], capture_output=True, check=True)
    assert done.stdout == data
    card = exported_models.card
    assert done.stderr.decode() == f"4096 3 {card.label_names[2]} {card.input.zero_point}"
