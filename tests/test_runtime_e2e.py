"""End to end: real UTD-MHAD inertial sequences replayed through exported models by ``edgehar stream``
give the predictions the evaluation path gives for the same sequences.

Evaluation prepares each whole sequence as training did (``prepare_sample``: resample to the
card's ``window_steps`` with the card's method) and runs the file with ``predict_file``. The
stream replays the ``.mat`` at 50 Hz through sequence checks, the clock map, the 50 Hz grid and the
ring buffer; with the window set to the sequence's length, its one window must be the same input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from exported_model import exported_models  # noqa: F401  (session fixture: real exported files)

from edgehar.modelcard import read_card

UTD = Path(__file__).resolve().parents[2] / "shared/data/utd-mhad"
SEQUENCES = ("a1_s1_t1", "a14_s4_t2", "a27_s8_t3")


def eval_logits(model: Path, mat: Path) -> np.ndarray:
    from edgehar.data.preprocess import PreprocessConfig, prepare_sample
    from edgehar.data.sample import Sample
    from edgehar.data.utd_mhad import load_imu_mat, read_info
    from edgehar.export.evaluate import predict_file

    card = read_card(model)
    sample = Sample(label=0, label_name="?", source=str(mat), imu=load_imu_mat(mat, read_info(UTD)))
    imu, _ = prepare_sample(sample, PreprocessConfig(length=card.window_steps, resample=card.resample))
    return predict_file(model, imu[None])[0]


def stream_window(model: Path, mat: Path, tmp_path: Path) -> dict:
    from scipy.io import loadmat

    seconds = f"{loadmat(str(mat))['d_iner'].shape[0] / 50.0:.2f}s"
    out = tmp_path / f"{mat.stem}-{model.name}.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "edgehar.cli.main", "stream", str(model), "--replay", str(mat), "--speed", "max",
         "--window", seconds, "--hop", seconds, "--jsonl", str(out), "-q"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    windows = [r for r in map(json.loads, out.read_text().splitlines()) if r["type"] == "window"]
    assert len(windows) == 1, windows
    return windows[0]


def test_replayed_utd_sequences_match_eval(exported_models, tmp_path):  # noqa: F811
    if not UTD.is_dir():
        pytest.skip(f"UTD-MHAD not found at {UTD}")
    from edgehar.export.card_embedding import embed_card_onnx

    # The int8 TFLite (linear resampling) and the float ONNX told that training used FFT resampling,
    # the reference default.
    fft_onnx = tmp_path / "tiny_fft.onnx"
    fft_onnx.write_bytes(embed_card_onnx(exported_models.onnx.read_bytes(),
                                         read_card(exported_models.onnx).with_updates(resample="fft")))
    for model, tol in ((exported_models.tflite, 0.02), (fft_onnx, 1e-4)):
        labels = read_card(model).label_names
        for name in SEQUENCES:
            mat = UTD / "Inertial" / f"{name}_inertial.mat"
            logits = eval_logits(model, mat)
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            got = stream_window(model, mat, tmp_path)
            assert got["raw_label"] == labels[int(np.argmax(logits))], (model.name, name)
            assert np.allclose(got["probs"], probs, atol=tol + 1e-4), (model.name, name, got["probs"], probs)
