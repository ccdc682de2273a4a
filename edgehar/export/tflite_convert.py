"""PyTorch -> .tflite with litert-torch (no TensorFlow), in float32, float16 or full-integer int8.

int8 is PT2E static post-training quantization with litert-torch's ``PT2EQuantizer``: symmetric
per-channel int8 weights, int8 activations calibrated on real windows, int8 input and output
tensors. For a conv/dense network every operator then runs an integer kernel (verified on each
export by :func:`integer_only_violations`). PT2E leaves attention, softmax and LayerNorm in float
(the CSSHAR encoder has them), so when the PT2E graph is not integer-only the float32 model is
quantized again with ai-edge-quantizer's ``static_wi8_ai8`` recipe, which quantizes every op
(less exact; measured in shared/notes/edge-export.md, rows a and a2). float16 stores weights as
float16 (half the size, float compute).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections import Counter

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.modelcard import TensorSpec

PRECISIONS = ("float32", "float16", "int8")

# TFLite TensorType enum values (schema.fbs) that an integer kernel may touch.
_INTEGER_TYPES = {9: "int8", 2: "int32", 3: "uint8", 7: "int16", 4: "int64"}
_TYPE_NAMES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 7: "int16", 9: "int8", 10: "float64"}


def _quiet_converter() -> None:
    """litert-torch and torchao log a page of INFO/WARNING lines per conversion; keep stderr readable."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in ("absl", "litert_torch", "torchao", "torch._export", "torch.export", "root"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from litert_torch import progress

    progress.console.quiet = True  # per-stage [START]/[DONE] lines on stdout


def convert_tflite(model, example, precision: str, calibration: np.ndarray | None = None) -> bytes:
    """Convert an eval-mode ``model`` for one static input shaped like ``example`` (batch 1).

    ``calibration``: (N, *example.shape[1:]) float32 model inputs, required for int8. An int8
    result that is still not integer-only raises: it would not run on TensorFlow Lite Micro.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.export internals, once per conversion
        return _convert_checked(model, example, precision, calibration)


def _convert_checked(model, example, precision: str, calibration: np.ndarray | None) -> bytes:
    model_bytes = _convert(model, example, precision, calibration)
    if precision == "int8" and integer_only_violations(model_bytes):
        model_bytes = _aeq_int8(_convert(model, example, "float32"), calibration)
        problems = integer_only_violations(model_bytes)
        if problems:
            raise EdgeharError("int8 export is not integer-only: " + "; ".join(sorted(set(problems))[:5]))
    return model_bytes


def _convert(model, example, precision: str, calibration: np.ndarray | None = None) -> bytes:
    import torch

    if precision not in PRECISIONS:
        raise EdgeharError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    _quiet_converter()
    import litert_torch

    model = model.eval()
    args = (example.to(torch.float32),)
    if precision == "float32":
        return bytes(litert_torch.convert(model, args).model_content())
    if precision == "float16":
        from litert_torch.generative.quantize import quant_recipes

        with contextlib.redirect_stdout(io.StringIO()):  # it prints a size summary
            edge = litert_torch.convert(model, args, quant_config=quant_recipes.full_fp16_recipe())
        return bytes(edge.model_content())
    if calibration is None or len(calibration) == 0:
        raise EdgeharError("int8 conversion needs calibration windows; none were given")
    from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer, get_symmetric_quantization_config
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e import move_exported_model_to_eval
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = PT2EQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False))
    graph = torch.export.export(model, args).module()
    prepared = prepare_pt2e(graph, quantizer)
    with torch.no_grad():
        for window in np.asarray(calibration, dtype=np.float32):
            prepared(torch.from_numpy(window[None]))
    quantized = move_exported_model_to_eval(convert_pt2e(prepared, fold_quantize=False))
    edge = litert_torch.convert(quantized, args, quant_config=QuantConfig(pt2e_quantizer=quantizer))
    return bytes(edge.model_content())


def _aeq_int8(float_model: bytes, calibration: np.ndarray) -> bytes:
    """Full-integer int8 of a float .tflite with ai-edge-quantizer (every op, int8 I/O)."""
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import quantizer, recipe

    signature = Interpreter(model_content=float_model).get_signature_list()
    name, io_names = next(iter(signature.items()))
    arg = io_names["inputs"][0]
    q = quantizer.Quantizer(bytearray(float_model))
    q.load_quantization_recipe(recipe.static_wi8_ai8())
    windows = [{arg: w[None]} for w in np.asarray(calibration, dtype=np.float32)]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):  # progress bars
        result = q.quantize(q.calibrate({name: windows}, num_threads=1), enable_progress_report=False)
    return bytes(result.quantized_model)


def tensor_specs(model: bytes) -> tuple[TensorSpec, TensorSpec]:
    """Input and output (shape, element type, scale, zero point) as the interpreter reports them."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model)

    def spec(detail: dict) -> TensorSpec:
        scale, zero = detail.get("quantization", (0.0, 0))
        return TensorSpec(tuple(int(s) for s in detail["shape"]), np.dtype(detail["dtype"]).name, float(scale), int(zero))

    return spec(interp.get_input_details()[0]), spec(interp.get_output_details()[0])


def op_summary(model: bytes) -> dict:
    """Operators and tensor types of a TFLite flatbuffer, read from the file itself.

    ``float_ops`` lists ops touching a float tensor; ``input``/``output`` are the I/O element types.
    """
    from ai_edge_litert.tools import flatbuffer_utils

    obj = flatbuffer_utils.read_model_from_bytearray(bytearray(model))
    graph = obj.subgraphs[0]
    ops: Counter[str] = Counter()
    float_ops: list[str] = []
    for op in graph.operators:
        name = flatbuffer_utils.opcode_to_name(obj, op.opcodeIndex) or f"op{op.opcodeIndex}"
        ops[name] += 1
        types = [graph.tensors[i].type for i in list(op.inputs) + list(op.outputs) if i >= 0]
        if any(t not in _INTEGER_TYPES for t in types):
            float_ops.append(name)
    return {
        "ops": dict(ops),
        "float_ops": float_ops,
        "input": [_TYPE_NAMES.get(graph.tensors[i].type, str(graph.tensors[i].type)) for i in graph.inputs],
        "output": [_TYPE_NAMES.get(graph.tensors[i].type, str(graph.tensors[i].type)) for i in graph.outputs],
    }


def integer_only_violations(model: bytes) -> list[str]:
    """Why a model is not TFLite-Micro int8-ready (empty list when it is)."""
    summary = op_summary(model)
    problems = [f"operator {name} has a float tensor" for name in summary["float_ops"]]
    problems += [f"input is {t}, not int8" for t in summary["input"] if t != "int8"]
    problems += [f"output is {t}, not int8" for t in summary["output"] if t != "int8"]
    return problems
