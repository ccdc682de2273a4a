"""Model card: JSON round trip, preprocessing maths, and reading it back out of real model files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgehar.errors import EdgeharError
from edgehar.modelcard import (
    ModelCard,
    TensorSpec,
    dequantize,
    onnx_metadata,
    quantize,
    read_card,
)


def make_card(**changes) -> ModelCard:
    card = ModelCard(
        label_names=("walk", "jog", "sit"),
        source_rate_hz=50.0,
        window_steps=8,
        window_seconds=2.0,
        default_hop_seconds=0.5,
        channels=("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
        units=("g", "g", "g", "deg/s", "deg/s", "deg/s"),
        norm_mean=(0.1, -0.2, 0.9, 1.0, -2.0, 0.5),
        norm_std=(0.5, 0.4, 0.3, 40.0, 50.0, 60.0),
        input=TensorSpec((1, 6, 8), "int8", 0.05, -3),
        output=TensorSpec((1, 3), "int8", 0.1, 10),
        model_sha256="ab" * 32,
        run_id="run-1",
    )
    return card.with_updates(**changes) if changes else card


def tiny_onnx(card: ModelCard | None) -> bytes:
    """A real ONNX model (mean over time + MatMul) built with onnx.helper, card optional."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    from edgehar.export.card_embedding import embed_card_onnx

    w = numpy_helper.from_array(np.ones((6, 3), np.float32), "w")
    axes = numpy_helper.from_array(np.array([2], np.int64), "axes")
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=0),
            helper.make_node("MatMul", ["m", "w"], ["logits"]),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3])],
        [w, axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.metadata_props.add(key="other", value="kept")
    data = model.SerializeToString()
    onnx.checker.check_model(model)
    return embed_card_onnx(data, card) if card is not None else data


def test_json_round_trip_keeps_every_field():
    card = make_card(extra={"note": "x"})
    again = ModelCard.from_json(card.to_json())
    assert again == card
    assert again.input.quantized and again.input.shape == (1, 6, 8)


def test_derived_sample_counts():
    card = make_card()
    assert card.source_window_samples == 100
    assert card.default_hop_samples == 25


@pytest.mark.parametrize(
    "change, message",
    [
        ({"norm_std": (1.0,) * 5}, "same non-zero length"),
        ({"norm_std": (1.0, 1.0, 1.0, 0.0, 1.0, 1.0)}, "norm_std must be positive"),
        ({"input_layout": "NHWC"}, "input_layout"),
        ({"window_steps": 0}, "positive"),
    ],
)
def test_invalid_cards_are_refused(change, message):
    with pytest.raises(EdgeharError, match=message):
        make_card(**change)


def test_from_json_names_missing_keys_and_wrong_format():
    raw = make_card().to_json().replace('"label_names"', '"labels"')
    with pytest.raises(EdgeharError, match="lacks label_names"):
        ModelCard.from_json(raw)
    with pytest.raises(EdgeharError, match="not an edgehar-card/1"):
        ModelCard.from_json('{"format": "other"}')
    with pytest.raises(EdgeharError, match="not valid JSON"):
        ModelCard.from_json("{nope")


def test_normalize_resamples_with_the_cards_method():
    """The card resamples the way training did (its ``resample``), so FFT and linear cards differ."""
    t = np.arange(101, dtype=np.float32)
    raw = np.stack([np.sin(t / 7.0)] * 6)[None].astype(np.float32)
    linear, fft = make_card(resample="linear"), make_card(resample="fft")
    y_lin, y_fft = linear.normalize(raw), fft.normalize(raw)
    assert y_lin.shape == y_fft.shape == (1, 6, 8)
    std = np.asarray(linear.norm_std, np.float32)[None, :, None]
    mean = np.asarray(linear.norm_mean, np.float32)[None, :, None]
    np.testing.assert_allclose(y_lin * std + mean, raw[..., np.linspace(0, 100, 8).round().astype(int)], atol=0.1)
    assert not np.allclose(y_lin, y_fft, atol=1e-3)
    np.testing.assert_array_equal(linear.normalize(raw[..., :8]), fft.normalize(raw[..., :8]))


def test_quantize_dequantize_error_is_half_a_step():
    spec = TensorSpec((1, 100), "int8", 0.05, -3)
    x = np.linspace(-6.0, 6.0, 100, dtype=np.float32)
    q = quantize(x, spec)
    assert q.dtype == np.int8
    assert np.max(np.abs(dequantize(q, spec) - x)) <= 0.05 / 2 + 1e-6
    assert quantize(np.array([1e6]), spec)[0] == 127  # saturates instead of wrapping
    float_spec = TensorSpec((1, 3), "float32")
    assert not float_spec.quantized and quantize(x, float_spec).dtype == np.float32


def test_prepare_standardises_resamples_and_quantizes():
    card = make_card()
    raw = np.tile(np.asarray(card.norm_mean, np.float32)[None, :, None], (2, 1, 100))
    raw[:, 0, :] += 2 * card.norm_std[0]  # channel 0 sits two standard deviations up
    x = card.prepare(raw)
    assert x.shape == (2, 6, 8) and x.dtype == np.int8
    expected = dequantize(x, card.input)
    np.testing.assert_allclose(expected[:, 0], 2.0, atol=0.05)
    np.testing.assert_allclose(expected[:, 1:], 0.0, atol=0.05)
    with pytest.raises(EdgeharError, match="expected windows shaped"):
        card.prepare(np.zeros((2, 5, 100)))


def test_onnx_card_round_trip_and_other_props_kept(tmp_path: Path):
    card = make_card()
    path = tmp_path / "m.onnx"
    path.write_bytes(tiny_onnx(card))
    assert read_card(path) == card
    assert onnx_metadata(path.read_bytes())["other"] == "kept"
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_modelmeta().custom_metadata_map["edgehar"] == card.to_json()


def test_read_card_errors_are_one_line(tmp_path: Path):
    bare = tmp_path / "bare.onnx"
    bare.write_bytes(tiny_onnx(None))
    with pytest.raises(EdgeharError, match="no 'edgehar' model card"):
        read_card(bare)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello world")
    with pytest.raises(EdgeharError, match="neither a TFLite flatbuffer nor an ONNX model"):
        read_card(junk)
    with pytest.raises(EdgeharError, match="cannot read model file"):
        read_card(tmp_path / "missing.tflite")
    truncated = tmp_path / "cut.tflite"
    truncated.write_bytes(b"\x10\x00\x00\x00TFL3" + b"\x00" * 4)
    with pytest.raises(EdgeharError, match="corrupt TFLite flatbuffer"):
        read_card(truncated)


def test_modelcard_imports_neither_torch_nor_tensorflow():
    code = (
        "import sys, edgehar.modelcard\n"
        "bad = [m for m in ('torch', 'tensorflow', 'onnx', 'ai_edge_litert') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
