"""On-disk format of IMU recordings (one file per take), its writer and its reader/loader.

Format (full description in docs/recording-format.md): a UTF-8 CSV file whose first line is
``# edgehar-recording {JSON header}``, second line the column names
``index,host_time_s,device_time_us,<channels...>``, then one row per sample. Lines starting with
``#gap `` carry a JSON gap marker. The writer only appends and flushes at least every
``flush_interval_s``, so a killed process loses at most that much; the reader drops a last line
cut short by a kill. The writer needs only numpy and the standard library (it runs on the Pi).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgehar.errors import EdgeharError

MAGIC = "# edgehar-recording "
GAP = "#gap "
FORMAT_VERSION = 1
FIXED_COLUMNS = ("index", "host_time_s", "device_time_us")
SUFFIX = ".csv"


class RecordingWriter:
    """Append samples of one take to a new recording file.

    ``write(samples, host_time, device_time_us)`` takes a block (n, C) as delivered by a source:
    every row gets the block's host arrival time; device times are spread over the block at the
    nominal rate from the first sample's device time, when the device gives one.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        channels: list[str] | tuple[str, ...],
        units: list[str] | tuple[str, ...],
        rate_hz: float,
        label: str | None = None,
        subject: int = -1,
        session: int = -1,
        device: str = "",
        extra: dict | None = None,
        flush_interval_s: float = 0.5,
        fsync: bool = True,
    ) -> None:
        if len(channels) != len(units) or not channels:
            raise EdgeharError(f"{path}: need one unit per channel and at least one channel")
        if rate_hz <= 0:
            raise EdgeharError(f"{path}: rate_hz must be positive, got {rate_hz}")
        for name in channels:
            if not name or any(c in name for c in ",\n\r#"):
                raise EdgeharError(f"{path}: channel name {name!r} cannot be written to a CSV header")
        self.path = Path(path)
        self.channels = tuple(channels)
        self.rate_hz = float(rate_hz)
        self.flush_interval_s = flush_interval_s
        self._fsync = fsync
        self.samples_written = 0
        header = {
            "format": "edgehar-recording", "version": FORMAT_VERSION, "label": label, "rate_hz": self.rate_hz,
            "channels": list(channels), "units": list(units), "subject": subject, "session": session,
            "device": device, "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if extra:
            header["extra"] = extra
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._file = open(self.path, "x", encoding="utf-8", newline="\n")
        except FileExistsError as exc:
            raise EdgeharError(f"{self.path}: already exists; a recording is never overwritten") from exc
        self._file.write(MAGIC + json.dumps(header) + "\n")
        self._file.write(",".join(FIXED_COLUMNS + self.channels) + "\n")
        self.flush()

    def write(self, samples: np.ndarray, host_time: float | None = None, device_time_us: int | None = None) -> None:
        """Append a block (n, C) of samples."""
        block = np.asarray(samples, dtype=np.float32)
        if block.ndim == 1:
            block = block[None, :]
        if block.ndim != 2 or block.shape[1] != len(self.channels):
            raise EdgeharError(f"{self.path}: block of shape {block.shape} does not match {len(self.channels)} channels")
        n = block.shape[0]
        host = f"{time.time() if host_time is None else host_time:.6f}"
        # Values go to text in one call per block (str() per value took ~20% longer at 100 samples);
        # astype(str) is numpy's shortest text that reads back to the same float32, as str() of one.
        values = block.astype(str).tolist()
        if device_time_us is None:
            devices = [""] * n
        else:  # float64 sums rounded half to even: the same integers as round(t0 + i * step) per row
            devices = np.rint(device_time_us + np.arange(n) * (1e6 / self.rate_hz)).astype(np.int64).tolist()
        first = self.samples_written
        self._file.write("".join(
            f"{first + i},{host},{dev},{','.join(row)}\n" for i, (dev, row) in enumerate(zip(devices, values))
        ))
        self.samples_written += n
        self._maybe_flush()

    def gap(self, reason: str, missing_samples: int | None = None, host_time: float | None = None) -> None:
        """Mark that samples are missing here (link lost, corrupt frames): the data is not contiguous."""
        marker = {"after_index": self.samples_written - 1, "missing_samples": missing_samples, "reason": reason,
                  "host_time_s": round(time.time() if host_time is None else host_time, 6)}
        self._file.write(GAP + json.dumps(marker) + "\n")
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def flush(self) -> None:
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Recording:
    """A take read back: per-sample times, the samples (n, C) and the gap markers."""

    path: Path
    header: dict
    index: np.ndarray
    host_time_s: np.ndarray
    device_time_us: np.ndarray  # int64, -1 where the device gave no time
    samples: np.ndarray
    gaps: list[dict] = field(default_factory=list)
    truncated: bool = False  # the last line was cut short (process killed mid-write) and dropped

    @property
    def label(self) -> str | None:
        return self.header.get("label")

    @property
    def rate_hz(self) -> float:
        return float(self.header["rate_hz"])

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.header["channels"])

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(self.header["units"])


def _read_header(path: Path, line: str) -> dict:
    if not line.startswith(MAGIC):
        raise EdgeharError(f"{path}: not an edgehar recording (first line must start with '{MAGIC.strip()}')")
    try:
        header = json.loads(line[len(MAGIC):])
    except json.JSONDecodeError as exc:
        raise EdgeharError(f"{path}: header is not valid JSON ({exc.msg})") from exc
    for key, kind in (("rate_hz", (int, float)), ("channels", list), ("units", list)):
        if not isinstance(header.get(key), kind):
            raise EdgeharError(f"{path}: header key '{key}' missing or of the wrong type")
    if header.get("version", 0) > FORMAT_VERSION:
        raise EdgeharError(f"{path}: recording format version {header['version']} is newer than this edgehar ({FORMAT_VERSION})")
    if len(header["units"]) != len(header["channels"]):
        raise EdgeharError(f"{path}: header has {len(header['units'])} units for {len(header['channels'])} channels")
    return header


def read_recording(path: str | Path) -> Recording:
    """Parse one take; a cut-short final line is dropped (``truncated``), any other bad row is an error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EdgeharError(f"{path}: cannot read recording ({exc})") from exc
    lines = text.split("\n")
    # Every line is written with its newline: text after the last one was cut short by a kill.
    truncated = lines.pop() != ""
    if len(lines) < 2:
        raise EdgeharError(f"{path}: recording has no column line (empty or cut short)")
    header = _read_header(path, lines[0])
    columns = lines[1].split(",")
    expected = list(FIXED_COLUMNS) + header["channels"]
    if columns != expected:
        raise EdgeharError(f"{path}: column line {columns} does not match the header channels {expected}")
    n_cols = len(expected)
    rows: list[list[str]] = []
    gaps: list[dict] = []
    for lineno, line in enumerate(lines[2:], start=3):
        if line.startswith(GAP):
            try:
                gaps.append(json.loads(line[len(GAP):]))
            except json.JSONDecodeError as exc:
                raise EdgeharError(f"{path}: line {lineno}: bad gap marker ({exc.msg})") from exc
            continue
        parts = line.split(",")
        if len(parts) != n_cols or not parts[0] or not parts[1] or not all(parts[3:]):
            raise EdgeharError(f"{path}: line {lineno} has {len(parts)} fields or empty values, expected {n_cols} fields")
        rows.append(parts)
    try:
        index = np.array([int(r[0]) for r in rows], dtype=np.int64)
        host = np.array([float(r[1]) for r in rows], dtype=np.float64)
        device = np.array([int(r[2]) if r[2] else -1 for r in rows], dtype=np.int64)
        samples = np.array([[float(v) for v in r[3:]] for r in rows], dtype=np.float32).reshape(-1, n_cols - 3)
    except ValueError as exc:
        raise EdgeharError(f"{path}: non-numeric value in the data rows ({exc})") from exc
    if not np.all(np.isfinite(samples)):
        raise EdgeharError(f"{path}: samples contain NaN/inf values")
    return Recording(path, header, index, host, device, samples, gaps, truncated)


def _recording_files(root: Path) -> list[Path]:
    found = []
    for p in sorted(root.rglob(f"*{SUFFIX}")):
        try:
            with open(p, encoding="utf-8") as f:
                if f.readline().startswith(MAGIC):
                    found.append(p)
        except (OSError, UnicodeDecodeError):
            continue
    return found


def looks_like(root: Path) -> bool:
    return bool(_recording_files(root))


def source_files(root: Path) -> list[Path]:
    info = root / "edgehar_dataset.json"
    return ([info] if info.exists() else []) + _recording_files(root)


def load(root: Path):
    """A folder of takes -> IMU-only ``RawDataset``; unlabelled or too-short takes are skipped.

    Label ids follow ``label_names`` of ``ROOT/edgehar_dataset.json`` when present (so ids stay
    stable as takes are added), else the sorted set of labels found. Samples are joined across gap
    markers; ``edgehar record`` keeps gaps rare and marks them so they can be inspected.
    """
    from edgehar.data.sample import ImuSeries, RawDataset, Sample, Skipped

    root = Path(root)
    if not root.is_dir():
        raise EdgeharError(f"{root}: recordings folder not found")
    takes = [read_recording(p) for p in _recording_files(root)]
    if not takes:
        raise EdgeharError(f"{root}: no edgehar recordings (*.csv starting with '{MAGIC.strip()}')")
    skipped: list[Skipped] = []
    usable = []
    for take in takes:
        if not take.label:
            skipped.append(Skipped(str(take.path), "no label in the header"))
        elif take.samples.shape[0] < 2:
            skipped.append(Skipped(str(take.path), "fewer than 2 samples"))
        else:
            usable.append(take)
    if not usable:
        raise EdgeharError(f"{root}: no labelled recording with data ({len(skipped)} skipped)")
    ref = usable[0]
    for take in usable[1:]:
        if take.channels != ref.channels or take.units != ref.units or take.rate_hz != ref.rate_hz:
            raise EdgeharError(
                f"{take.path}: channels/units/rate differ from {ref.path} ({take.channels} @ {take.rate_hz} Hz vs "
                f"{ref.channels} @ {ref.rate_hz} Hz)"
            )
    info_path = root / "edgehar_dataset.json"
    if info_path.exists():
        try:
            label_names = tuple(json.loads(info_path.read_text())["label_names"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EdgeharError(f"{info_path}: needs a 'label_names' list ({exc})") from exc
    else:
        label_names = tuple(sorted({t.label for t in usable}))  # type: ignore[type-var]
    counters: dict[tuple[int, int], int] = {}
    samples = []
    for take in usable:
        if take.label not in label_names:
            raise EdgeharError(f"{take.path}: label '{take.label}' is not in {info_path}")
        label = label_names.index(take.label)
        subject, session = int(take.header.get("subject", -1)), int(take.header.get("session", -1))
        counters[(subject, label)] = trial = counters.get((subject, label), 0) + 1
        samples.append(Sample(
            label=label, label_name=take.label, source=str(take.path),  # type: ignore[arg-type]
            imu=ImuSeries(take.samples, take.rate_hz, take.channels, take.units),
            subject=subject, trial=trial, session=session,
        ))
    return RawDataset(
        name=root.name or "recordings", layout="recordings", samples=samples, label_names=label_names,
        imu_channels=ref.channels, imu_units=ref.units, imu_rate_hz=ref.rate_hz, skipped=skipped,
    )
