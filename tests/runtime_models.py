"""Small real models for the runtime tests, built without torch or tensorflow.

The classifier's logit k is the window mean of standardised channel k (k < number of labels), so
a test decides the prediction by which channel it raises. The same maths ships as ONNX (built with
``onnx.helper``) and as TFLite (a flatbuffer written with LiteRT's own schema classes), float or
with int8 input/output, each carrying an edgehar card, so the real interpreters run them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgehar.modelcard import ModelCard, TensorSpec

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
UNITS = ("g", "g", "g", "deg/s", "deg/s", "deg/s")
LABELS = ("x_up", "y_up", "z_up")
IN_Q = (0.05, -3)  # int8 input scale, zero point
OUT_Q = (0.02, 5)


def make_card(
    steps: int = 50,
    window_s: float = 2.0,
    hop_s: float = 0.5,
    rate: float = 50.0,
    layout: str = "NCW",
    int8: bool = False,
    resample: str = "linear",
    **changes,
) -> ModelCard:
    in_shape = (1, 6, steps) if layout == "NCW" else (1, steps, 6)
    card = ModelCard(
        label_names=LABELS,
        source_rate_hz=rate,
        window_steps=steps,
        window_seconds=window_s,
        default_hop_seconds=hop_s,
        channels=CHANNELS,
        units=UNITS,
        norm_mean=(0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        norm_std=(1.0, 1.0, 1.0, 100.0, 100.0, 100.0),
        input=TensorSpec(in_shape, "int8", *IN_Q) if int8 else TensorSpec(in_shape, "float32"),
        output=TensorSpec((1, 3), "int8", *OUT_Q) if int8 else TensorSpec((1, 3), "float32"),
        input_layout=layout,
        resample=resample,
    )
    return card.with_updates(**changes) if changes else card


def _weights() -> np.ndarray:
    w = np.zeros((6, 3), np.float32)
    w[0, 0] = w[1, 1] = w[2, 2] = 1.0
    return w


def write_onnx(path: Path, card: ModelCard) -> Path:
    """Float ONNX: ReduceMean over time, then MatMul; the card rides in metadata_props."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from edgehar.export.card_embedding import embed_card_onnx

    time_axis = 2 if card.input_layout == "NCW" else 1
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=0),
            helper.make_node("MatMul", ["m", "w"], ["logits"]),
        ],
        "channel_mean",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(card.input.shape))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(_weights(), "w"), numpy_helper.from_array(np.array([time_axis], np.int64), "axes")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.checker.check_model(model)
    path.write_bytes(embed_card_onnx(model.SerializeToString(), card))
    return path


def write_tflite(path: Path, card: ModelCard) -> Path:
    """TFLite with the same maths; int8 I/O when the card's tensors are int8 (QUANTIZE/DEQUANTIZE)."""
    from ai_edge_litert import schema_py_generated as s

    from edgehar.export.card_embedding import _pack_tflite, embed_card_tflite

    int8 = card.input.quantized
    buffers = [s.BufferT()]

    def buffer(data: np.ndarray | None) -> int:
        b = s.BufferT()
        if data is not None:
            b.data = np.frombuffer(data.tobytes(), np.uint8)
        buffers.append(b)
        return len(buffers) - 1

    tensors: list = []

    def tensor(name: str, shape, dtype: int, data: np.ndarray | None = None, q: tuple | None = None) -> int:
        t = s.TensorT()
        t.name, t.shape, t.type, t.buffer = name, list(shape), dtype, buffer(data)
        if q is not None:
            t.quantization = s.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [q[0]], [q[1]]
        tensors.append(t)
        return len(tensors) - 1

    codes: list[int] = []

    def op(code: int, inputs, outputs, options_type=0, options=None):
        if code not in codes:
            codes.append(code)
        o = s.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = codes.index(code), list(inputs), list(outputs)
        o.builtinOptionsType, o.builtinOptions = options_type, options
        return o

    F32, I8 = s.TensorType.FLOAT32, s.TensorType.INT8
    time_axis = 2 if card.input_layout == "NCW" else 1
    ops = []
    x = tensor("x_f", card.input.shape, F32)
    if int8:
        xq = tensor("x", card.input.shape, I8, q=IN_Q)
        ops.append(op(s.BuiltinOperator.DEQUANTIZE, [xq], [x]))
    axes = tensor("axes", [1], s.TensorType.INT32, np.array([time_axis], np.int32))
    m = tensor("m", [1, 6], F32)
    reducer = s.ReducerOptionsT()
    reducer.keepDims = False
    ops.append(op(s.BuiltinOperator.MEAN, [x, axes], [m], s.BuiltinOptions.ReducerOptions, reducer))
    w = tensor("w", [3, 6], F32, np.ascontiguousarray(_weights().T))
    logits = tensor("logits_f", [1, 3], F32)
    ops.append(op(s.BuiltinOperator.FULLY_CONNECTED, [m, w, -1], [logits],
                  s.BuiltinOptions.FullyConnectedOptions, s.FullyConnectedOptionsT()))
    if int8:
        out = tensor("logits", [1, 3], I8, q=OUT_Q)
        ops.append(op(s.BuiltinOperator.QUANTIZE, [logits], [out]))
    graph = s.SubGraphT()
    graph.tensors, graph.operators = tensors, ops
    graph.inputs, graph.outputs = [xq if int8 else x], [out if int8 else logits]
    model = s.ModelT()
    model.version, model.subgraphs, model.buffers = 3, [graph], buffers
    model.operatorCodes = []
    for code in codes:
        c = s.OperatorCodeT()
        c.builtinCode, c.deprecatedBuiltinCode, c.version = code, code, 1
        model.operatorCodes.append(c)
    path.write_bytes(embed_card_tflite(_pack_tflite(model), card, strip_names=False))
    return path


def write_take(path: Path, seconds: float, rate: float = 50.0, label: str = "walk") -> np.ndarray:
    """A recording whose first half raises acc_x and second half acc_z (so x_up, then z_up)."""
    from edgehar.data.recording import RecordingWriter

    n = int(seconds * rate)
    t = np.arange(n) / rate
    x = np.zeros((n, 6), np.float32)
    x[:, 0] = t < seconds / 2
    x[:, 2] = t >= seconds / 2
    x[:, 3] = np.sin(t)
    with RecordingWriter(path, channels=CHANNELS, units=UNITS, rate_hz=rate, label=label) as w:
        for i in range(0, n, 5):
            w.write(x[i : i + 5], 1000.0 + t[i], int(t[i] * 1e6))
    return x
