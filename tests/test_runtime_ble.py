"""``edgehar stream --ble`` end to end: real bleak against an emulated BlueZ (tests/ble_emulation.py)
and ``edgehar simulate --ble`` as the board, with link losses mid-stream.

The simulated board keeps measuring while no host listens, so each outage is a hole in the
sequence numbers and the device clock. With ``--max-gap`` longer than an outage the stream bridges
it: windows keep their hop schedule, none is emitted twice and none goes missing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from ble_emulation import emulated_bluez  # noqa: F401  (fixture)
from runtime_models import make_card, write_onnx, write_take

NAME = "edgehar-stream-test"


def test_stream_over_ble_survives_link_losses(emulated_bluez, tmp_path: Path):  # noqa: F811
    model = write_onnx(tmp_path / "m.onnx", make_card(window_s=2.0, hop_s=0.5))
    take = tmp_path / "take.csv"
    write_take(take, 20, rate=100.0)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    board = subprocess.Popen(
        [sys.executable, "-m", "edgehar.cli.main", "simulate", str(take), "--ble", NAME, "--speed", "1",
         "--duration", "7s", "--disconnect-every", "2.5s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    out = tmp_path / "out.jsonl"
    try:
        assert board.stdout.readline().strip() == f"port: {NAME}"
        stream = subprocess.Popen(
            [sys.executable, "-m", "edgehar.cli.main", "stream", str(model), "--ble", NAME, "--adapter", "hci0",
             "--max-gap", "3s", "--jsonl", str(out), "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        board_out, board_err = board.communicate(timeout=30)
        time.sleep(0.5)
        stream.send_signal(signal.SIGINT)
        _, err = stream.communicate(timeout=15)
    finally:
        for proc in (board, locals().get("stream")):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert board.returncode == 0, board_err
    assert stream.returncode == 0, err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    summary = records[-1]
    assert summary["type"] == "summary" and summary["link_losses"] >= 2, summary
    assert summary["duplicates"] == 0 and summary["gaps"] >= 2 and summary["window_resets"] == 0
    windows = [r for r in records if r["type"] == "window"]
    assert len(windows) >= 8
    assert [w["index"] for w in windows] == list(range(len(windows)))
    # every hop present exactly once, across the outages
    assert np.allclose(np.diff([w["t_device"] for w in windows]), 0.5, atol=1e-6)
