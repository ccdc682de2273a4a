"""Pipeline throughput on one core: a long take replayed at max speed through the whole runtime.

Replay (5-sample blocks, like BLE notifications) -> sequence/clock/units -> 100 Hz to 50 Hz
resampling -> 3 s windows every 0.5 s -> FFT resampling, standardisation -> interpreter ->
smoothing -> JSON lines to /dev/null. Target: >= 100,000 samples/s (1000x real time at 100 Hz).

Usage: python benchmarks/stream_throughput.py [--model FILE] [--seconds 3000] [--rate 100] [--hop 0.5]
(default model: the int8 edge student of benchmarks/stream_model.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

import numpy as np
from stream_model import CHANNELS, UNITS, ensure_model

from edgehar.modelcard import read_card
from edgehar.runtime.interpreter import open_interpreter
from edgehar.runtime.outputs.jsonl import JsonlSink
from edgehar.runtime.pipeline import Pipeline
from edgehar.runtime.runner import StreamRun
from edgehar.runtime.smoothing import parse_smoothing
from edgehar.runtime.sources.base import StreamInfo
from edgehar.runtime.sources.replay import ReplaySource
from edgehar.runtime.sources.takes import Take


def synthetic_take(seconds: float, rate: float) -> Take:
    t = np.arange(int(seconds * rate)) / rate
    x = np.stack([np.sin(2 * np.pi * f * t) for f in (0.5, 0.7, 1.1, 1.3, 1.7, 1.9)], 1).astype(np.float32)
    return Take(StreamInfo(CHANNELS, UNITS, rate), x)


def run(model: Path, seconds: float, rate: float, hop: float, block: int, backend: str = "auto") -> dict:
    card = read_card(model)
    pipeline = Pipeline(card, open_interpreter(model, backend, card.input, card.output),
                        parse_smoothing("vote:3"), hop_s=hop)
    source = ReplaySource(synthetic_take(seconds, rate), speed=None, block_samples=block)
    sink = JsonlSink(os.devnull)
    start, cpu = time.perf_counter(), time.process_time()
    summary = asyncio.run(StreamRun(source, pipeline, [sink]).run())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary["elapsed_s"], summary["cpu_s"] = elapsed, cpu
    summary["samples_per_s"] = summary["samples"] / elapsed
    summary["samples_per_cpu_s"] = summary["samples"] / cpu
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--seconds", type=float, default=3000.0, help="signal length replayed")
    parser.add_argument("--rate", type=float, default=100.0, help="device rate in Hz")
    parser.add_argument("--hop", type=float, default=0.5)
    parser.add_argument("--block", type=int, default=5, help="samples per replayed block")
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args()
    model = ensure_model(args.model)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    s = run(model, args.seconds, args.rate, args.hop, args.block, args.backend)
    print(f"model {model.name}: {s['samples']} samples ({args.seconds:g} s at {args.rate:g} Hz, "
          f"{args.block}-sample blocks), {s['windows']} windows in {s['elapsed_s']:.2f} s on one core")
    print(f"throughput: {s['samples_per_s']:,.0f} samples/s wall ({s['samples_per_s'] / args.rate:,.0f}x real time), "
          f"{s['samples_per_cpu_s']:,.0f} samples per CPU second")
    lat = s["latency_ms"]
    print(f"per window: invoke p50 {lat['invoke']['p50']:.3f} ms, host p50 {lat['host']['p50']:.3f} ms")


if __name__ == "__main__":
    main()
