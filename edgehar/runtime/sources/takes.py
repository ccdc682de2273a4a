"""Files that can be played as if a device were streaming them: recordings and dataset sequences.

``edgehar stream --replay`` and ``edgehar simulate`` both read these. A take is one contiguous
sequence of samples with its rate, channels and units; recordings also carry their device times
and gap markers, which a replay reproduces so the pipeline sees the take as it was received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.runtime.sources.base import StreamInfo
from edgehar.runtime.sources.mat_file import UnsupportedMat, read_mat_array

#: UTD-MHAD inertial files: key, rate and channel layout (README of the dataset).
UTD_MHAD_KEY = "d_iner"
UTD_MHAD_RATE_HZ = 50.0
UTD_MHAD_INFO = StreamInfo(
    channels=("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
    units=("g", "g", "g", "deg/s", "deg/s", "deg/s"),
    rate_hz=UTD_MHAD_RATE_HZ,
    device_name="utd-mhad",
)


@dataclass
class Take:
    """``samples`` (T, C) float32 in ``info.units``; ``device_time_us`` (T,) int64 or None;
    ``host_time_s`` (T,) the recorded arrival times, if any; ``gaps_after`` lists sample indices
    after which the recording marks missing data."""

    info: StreamInfo
    samples: np.ndarray
    device_time_us: np.ndarray | None = None
    host_time_s: np.ndarray | None = None
    gaps_after: list[int] = field(default_factory=list)
    label: str | None = None
    path: Path | None = None


def load_utd_mhad_inertial(path: Path) -> Take:
    """One UTD-MHAD ``*_inertial.mat``: (T, 6) acc in g and gyro in deg/s at 50 Hz."""
    try:
        data = read_mat_array(path, UTD_MHAD_KEY)
    except OSError as exc:
        raise EdgeharError(f"{path}: cannot read ({exc})") from exc
    except UnsupportedMat:
        from scipy.io import loadmat  # slow to import; only for MAT files the small reader leaves

        try:
            data = loadmat(str(path), variable_names=[UTD_MHAD_KEY]).get(UTD_MHAD_KEY)
        except NotImplementedError as exc:  # MATLAB v7.3 files are HDF5
            raise EdgeharError(f"{path}: MATLAB v7.3 (HDF5) files are not supported; save with -v7") from exc
        except Exception as exc:  # scipy raises many types (MatReadError, ValueError, ...) for garbled files
            raise EdgeharError(f"{path}: cannot read as a MATLAB file ({type(exc).__name__}: {exc})") from exc
    if data is None:
        raise EdgeharError(f"{path}: no '{UTD_MHAD_KEY}' array (not a UTD-MHAD inertial file)")
    data = np.asarray(data, dtype=np.float32)
    if data.ndim != 2 or data.shape[1] != 6 or data.shape[0] < 1:
        raise EdgeharError(f"{path}: '{UTD_MHAD_KEY}' has shape {data.shape}, expected (T, 6)")
    if not np.all(np.isfinite(data)):
        raise EdgeharError(f"{path}: '{UTD_MHAD_KEY}' contains NaN or inf")
    return Take(UTD_MHAD_INFO, data, label=None, path=path)


def load_recording_take(path: Path) -> Take:
    """An ``edgehar record`` file, with its device times and gap markers."""
    from edgehar.data.recording import read_recording

    rec = read_recording(path)
    if rec.samples.shape[0] == 0:
        raise EdgeharError(f"{path}: recording holds no samples")
    info = StreamInfo(
        channels=rec.channels, units=rec.units, rate_hz=rec.rate_hz,
        device_name=str(rec.header.get("device") or "") or None,
    )
    device = rec.device_time_us if bool(np.all(rec.device_time_us >= 0)) else None
    # Gap markers name the last sample before the gap by its file-wide index.
    position = {int(ix): i for i, ix in enumerate(rec.index)}
    gaps = sorted({position[g["after_index"]] for g in rec.gaps if g.get("after_index") in position})
    return Take(info, rec.samples.astype(np.float32, copy=False), device, rec.host_time_s, gaps, rec.label, path)


def load_take(path: str | Path) -> Take:
    """A recording (``.csv`` from ``edgehar record``) or a UTD-MHAD ``*_inertial.mat``."""
    path = Path(path)
    if not path.is_file():
        raise EdgeharError(f"{path}: no such file to replay")
    if path.suffix.lower() == ".mat":
        return load_utd_mhad_inertial(path)
    if path.suffix.lower() == ".csv":
        return load_recording_take(path)
    kind = f"'{path.suffix}' files" if path.suffix else "files without a suffix"
    raise EdgeharError(f"{path}: cannot replay {kind} (recordings .csv or UTD-MHAD *_inertial.mat)")


def take_files(path: str | Path) -> list[Path]:
    """The playable files of a folder, in a stable order: a UTD-MHAD root or any folder of takes."""
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise EdgeharError(f"{root}: no such file or folder")
    inertial = sorted(root.rglob("*_inertial.mat"), key=_natural_key)
    if inertial:
        return inertial
    from edgehar.data.recording import MAGIC

    found = []
    for p in sorted(root.rglob("*.csv")):
        with open(p, encoding="utf-8", errors="replace") as f:
            if f.readline().startswith(MAGIC):
                found.append(p)
    if not found:
        raise EdgeharError(f"{root}: no UTD-MHAD *_inertial.mat files and no edgehar recordings inside")
    return found


def _natural_key(path: Path) -> list[object]:
    """a2_s1_t1 before a10_s1_t1, as the dataset numbers its files."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]
