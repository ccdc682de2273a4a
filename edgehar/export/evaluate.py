"""Score an exported model file the way a device runs it: its card for preprocessing, a light interpreter.

Nothing from the training run is used: windows are prepared from the raw dataset with the card's
window length and resampling method, standardised with the card's statistics and quantized with
the file's own input parameters, then run one at a time through ai-edge-litert / tflite-runtime
(``.tflite``), onnxruntime (``.onnx``) or TensorFlow Lite Micro (C export). Agreement with the
float model and the accuracy of the file therefore cover every step a device takes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.modelcard import ModelCard, read_card


@dataclass
class EvalWindows:
    """Raw (not standardised) IMU windows of one split, at ``card.window_steps``, with labels."""

    imu: np.ndarray
    labels: np.ndarray
    split: str
    protocol: str


def load_eval_windows(card: ModelCard, data_dir: str | Path, split: str = "test", protocol: str | None = None) -> EvalWindows:
    """Windows of ``split`` prepared as the card says; refuses a dataset whose labels or channels differ."""
    from edgehar.data import PreprocessConfig, load_dataset, split_indices

    prepared = load_dataset(Path(data_dir), PreprocessConfig(length=card.window_steps, resample=card.resample))
    if tuple(prepared.label_names) != tuple(card.label_names):
        raise EdgeharError(
            f"{data_dir}: its labels ({len(prepared.label_names)}: {', '.join(prepared.label_names[:3])}, ...) "
            f"are not the model's ({len(card.label_names)}: {', '.join(card.label_names[:3])}, ...)"
        )
    if tuple(prepared.imu_channels) != tuple(card.channels):
        raise EdgeharError(
            f"{data_dir}: IMU channels {list(prepared.imu_channels)} differ from the model's {list(card.channels)}"
        )
    chosen = protocol or card.protocol or None
    splits = split_indices(prepared, chosen)
    if split not in splits:
        raise EdgeharError(f"--split must be one of {', '.join(splits)}, got {split!r}")
    idx = splits[split]
    if len(idx) == 0:
        raise EdgeharError(f"{data_dir}: split '{split}' of protocol {chosen or 'default'} is empty")
    return EvalWindows(prepared.imu[idx].astype(np.float32), prepared.labels[idx].astype(np.int64), split, chosen or "")


def open_model(path: str | Path, backend: str = "auto", num_threads: int = 1):
    """(card, runtime interpreter) for an exported ``.tflite`` / ``.onnx`` file."""
    from edgehar.runtime.interpreter import open_interpreter

    card = read_card(path)
    interp = open_interpreter(path, backend, card_input=card.input, card_output=card.output, num_threads=num_threads)
    return card, interp


def predict_file(path: str | Path, windows: np.ndarray, backend: str = "auto") -> np.ndarray:
    """Float logits (N, K) of the file on raw windows, one window per invoke as on a device."""
    card, interp = open_model(path, backend)
    x = card.normalize(windows)
    return np.concatenate([np.asarray(interp.run(x[i : i + 1])).reshape(1, -1) for i in range(len(x))])


def predict_tflm(model: bytes, card: ModelCard, windows: np.ndarray, tflm) -> np.ndarray:
    """Float logits (N, K) from TensorFlow Lite Micro (``tflm``: a loaded :class:`TflmModel`)."""
    x = card.prepare(windows)
    return np.concatenate([card.logits(tflm.run(x[i : i + 1])).reshape(1, -1) for i in range(len(x))])


def invoke_latency_ms(run, x: np.ndarray, runs: int) -> dict[str, float]:
    """p50/p99 wall time of ``run(x)`` in ms, after warm-up (one thread, this machine)."""
    for _ in range(min(20, runs)):
        run(x)
    times = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        run(x)
        times[i] = time.perf_counter() - start
    return {"p50_ms": float(np.percentile(times, 50) * 1e3), "p99_ms": float(np.percentile(times, 99) * 1e3)}


def evaluate_file(
    path: str | Path, data_dir: str | Path, split: str = "test", protocol: str | None = None, backend: str = "auto"
) -> dict:
    """Accuracy, macro F1 and per-class scores of an exported file on a dataset split."""
    from edgehar.train.metrics import scores

    card = read_card(path)
    data = load_eval_windows(card, data_dir, split, protocol)
    logits = predict_file(path, data.imu, backend)
    result = scores(data.labels, logits.argmax(1), card.label_names)
    result.update({"model": str(path), "split": split, "protocol": data.protocol, "run_id": card.run_id})
    return result
