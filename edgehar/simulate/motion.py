"""What the simulated device "measures": takes played back to back as one continuous signal.

A real wearable streams without pause, so the simulator joins takes (synthetic trials, UTD-MHAD
sequences, recordings) into one stream at their common rate. Takes are loaded one at a time, so
a whole dataset folder starts playing at once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.runtime.sources.base import StreamInfo
from edgehar.runtime.sources.takes import load_take, take_files

SYNTHETIC = "synthetic"
SYNTH_INFO = StreamInfo(
    channels=("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
    units=("g", "g", "g", "deg/s", "deg/s", "deg/s"),
    rate_hz=50.0,
    device_name="edgehar-sim",
)


@dataclass
class Motion:
    """``info`` of the stream and an iterator of (T, C) float32 segments in its units."""

    info: StreamInfo
    segments: Iterator[np.ndarray]
    description: str


def _synthetic(seed: int, loop: bool) -> Motion:
    from edgehar.data.synth import ACTIVITIES, generate_trial

    def segments() -> Iterator[np.ndarray]:
        rounds = itertools.count(1) if loop else range(1, 2)
        for trial in rounds:
            for activity in range(len(ACTIVITIES)):
                yield generate_trial(seed, activity, 1, trial).imu.astype(np.float32)

    return Motion(SYNTH_INFO, segments(), f"synthetic trials (seed {seed}), {len(ACTIVITIES)} activities")


def _files(path: Path, loop: bool) -> Motion:
    files = take_files(path)
    first = load_take(files[0])
    info = first.info
    if not info.rate_hz:
        raise EdgeharError(f"{files[0]}: take has no sample rate")

    def segments() -> Iterator[np.ndarray]:
        take = first
        for round_ in itertools.count():
            for i, f in enumerate(files):
                if round_ or i:
                    take = load_take(f)
                if (take.info.channels, take.info.units, take.info.rate_hz) != (info.channels, info.units, info.rate_hz):
                    raise EdgeharError(f"{f}: channels, units or rate differ from {files[0]}; cannot join them")
                yield take.samples
            if not loop:
                return

    what = f"{len(files)} file{'s' if len(files) > 1 else ''} from {path}"
    return Motion(info, segments(), what)


def open_motion(source: str, seed: int = 0, loop: bool = False) -> Motion:
    """``"synthetic"``, a UTD-MHAD folder or ``*_inertial.mat``, or recordings (file or folder)."""
    if source == SYNTHETIC:
        return _synthetic(seed, loop)
    return _files(Path(source), loop)
