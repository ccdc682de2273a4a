"""Process start to ready-to-infer for ``edgehar stream`` (target: <= 0.5 s).

"Ready" is the console's first line, printed once the model card is read, the interpreter has
loaded the model, the pipeline and outputs are built and the source is open: from then on only
samples are awaited. Measured from just before the process is spawned (Python start-up and every
import included), over several runs; the median and the worst are reported.

Usage: python benchmarks/stream_startup.py [--model FILE] [--runs 7] [--replay FILE]
(default replay: a small recording written here; a UTD-MHAD .mat is read without scipy.io.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from stream_model import CHANNELS, UNITS, ensure_model

from edgehar.data.recording import RecordingWriter


def time_to_ready(model: Path, replay: Path) -> float:
    cmd = [sys.executable, "-m", "edgehar.cli.main", "stream", str(model), "--replay", str(replay), "--speed", "1"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline()
    ready = time.perf_counter() - start
    proc.terminate()
    proc.wait()
    if not line.startswith("edgehar stream:"):
        raise SystemExit(f"unexpected first line: {line!r}")
    return ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--replay", type=Path)
    args = parser.parse_args()
    model = ensure_model(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        replay = args.replay
        if replay is None:
            replay = Path(tmp) / "take.csv"
            with RecordingWriter(replay, channels=CHANNELS, units=UNITS, rate_hz=50.0, label="idle") as w:
                w.write(np.zeros((500, 6), np.float32), 0.0, 0)
        time_to_ready(model, replay)  # warm the OS file cache, as a device that has run before
        times = [time_to_ready(model, replay) for _ in range(args.runs)]
    print(f"model {model.name}, replay {replay.name}: ready-to-infer median {statistics.median(times):.3f} s, "
          f"worst {max(times):.3f} s over {args.runs} runs (target 0.5 s)")


if __name__ == "__main__":
    main()
