"""Turning a trained run into files a device runs: distillation, quantization, exporters, parity.

Everything here imports torch/litert-torch/onnx lazily; none of it is imported by the runtime.
"""
