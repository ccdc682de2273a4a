"""Recording format: writer/reader round trip, gap markers, a process killed mid-write, loading a folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from edgehar.data import detect_layout, load_dataset, split_indices
from edgehar.data.recording import RecordingWriter, read_recording
from edgehar.errors import EdgeharError

CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
UNITS = ["g", "g", "g", "deg/s", "deg/s", "deg/s"]


def _take(path: Path, label: str | None, n: int = 100, subject: int = 1, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).standard_normal((n, 6)).astype(np.float32)
    with RecordingWriter(path, channels=CHANNELS, units=UNITS, rate_hz=50.0, label=label, subject=subject,
                         device="test", fsync=False) as w:
        for k in range(0, n, 25):
            w.write(data[k:k + 25], host_time=1000.0 + k / 50, device_time_us=k * 20_000)
    return data


def test_round_trip(tmp_path):
    path = tmp_path / "take.csv"
    data = np.random.default_rng(0).standard_normal((30, 6)).astype(np.float32) * 300
    with RecordingWriter(path, channels=CHANNELS, units=UNITS, rate_hz=50.0, label="wave", subject=3, session=2,
                         extra={"firmware": "1.2"}) as w:
        w.write(data[:10], host_time=12.5, device_time_us=1_000_000)
        w.gap("link lost", missing_samples=4, host_time=13.0)
        w.write(data[10:], host_time=13.5)
    rec = read_recording(path)
    np.testing.assert_array_equal(rec.samples, data)  # the shortest round-trip text keeps float32 exactly
    assert rec.label == "wave" and rec.rate_hz == 50.0 and rec.channels == tuple(CHANNELS) and rec.units == tuple(UNITS)
    assert rec.header["subject"] == 3 and rec.header["extra"] == {"firmware": "1.2"} and rec.header["version"] == 1
    assert rec.index.tolist() == list(range(30)) and not rec.truncated
    assert rec.device_time_us[:3].tolist() == [1_000_000, 1_020_000, 1_040_000] and (rec.device_time_us[10:] == -1).all()
    assert rec.host_time_s[0] == 12.5 and rec.host_time_s[-1] == 13.5
    assert rec.gaps == [{"after_index": 9, "missing_samples": 4, "reason": "link lost", "host_time_s": 13.0}]
    text = path.read_text().splitlines()
    assert text[0].startswith("# edgehar-recording {") and text[1] == "index,host_time_s,device_time_us," + ",".join(CHANNELS)


def test_never_overwrites_and_validates(tmp_path):
    _take(tmp_path / "a.csv", "wave")
    with pytest.raises(EdgeharError, match="a.csv: already exists"):
        RecordingWriter(tmp_path / "a.csv", channels=CHANNELS, units=UNITS, rate_hz=50.0)
    with pytest.raises(EdgeharError, match="one unit per channel"):
        RecordingWriter(tmp_path / "b.csv", channels=CHANNELS, units=UNITS[:2], rate_hz=50.0)
    with RecordingWriter(tmp_path / "c.csv", channels=CHANNELS, units=UNITS, rate_hz=50.0) as w:
        with pytest.raises(EdgeharError, match=r"block of shape \(4, 5\) does not match 6 channels"):
            w.write(np.zeros((4, 5)))


def test_truncated_last_line_is_dropped(tmp_path):
    path = tmp_path / "t.csv"
    data = _take(path, "wave", n=50)
    raw = path.read_bytes()
    path.write_bytes(raw[:-7])  # cut in the middle of the last row, as a kill would
    rec = read_recording(path)
    assert rec.truncated and rec.samples.shape == (49, 6)
    np.testing.assert_array_equal(rec.samples, data[:49])
    lines = raw.decode().splitlines(keepends=True)
    path.write_text("".join(lines[:5]) + "garbage,row\n" + "".join(lines[5:]))
    with pytest.raises(EdgeharError, match=r"t.csv: line 6 has 2 fields"):
        read_recording(path)


def test_bad_files_are_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("index,a\n1,2\n")
    with pytest.raises(EdgeharError, match="x.csv: not an edgehar recording"):
        read_recording(path)
    path.write_text('# edgehar-recording {"rate_hz": 50}\nindex\n')
    with pytest.raises(EdgeharError, match="x.csv: header key 'channels' missing"):
        read_recording(path)
    path.write_text('# edgehar-recording {"rate_hz": 50, "channels": ["a"], "units": ["g"]}\nindex,host_time_s,device_time_us,a\n0,1.0,,nan\n')
    with pytest.raises(EdgeharError, match="x.csv: samples contain NaN/inf"):
        read_recording(path)
    path.write_text('# edgehar-recording {"rate_hz": 50, "channels": ["a"], "units": ["g"], "version": 9}\n')
    with pytest.raises(EdgeharError, match="x.csv: recording has no column line|version 9 is newer"):
        read_recording(path)


_CHILD = """
import sys, time
import numpy as np
from edgehar.data.recording import RecordingWriter
w = RecordingWriter(sys.argv[1], channels=["a", "b", "c"], units=["g"] * 3, rate_hz=100.0, label="walk",
                    flush_interval_s=0.2)
print("started", flush=True)
k = 0
while True:
    w.write(np.full((5, 3), k, dtype=np.float32), host_time=time.time())
    k += 1
    time.sleep(0.01)
"""


def test_killed_writer_loses_at_most_about_a_second(tmp_path):
    path = tmp_path / "killed.csv"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "started"
        time.sleep(1.5)
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=10)
    rec = read_recording(path)
    assert rec.samples.shape[0] > 100 and rec.label == "walk"
    assert rec.index.tolist() == list(range(len(rec.index)))
    assert killed_at - rec.host_time_s[-1] < 1.0
    blocks = rec.samples[:, 0]
    assert np.all(np.diff(blocks) >= 0)  # rows arrive whole and in order


def test_folder_of_takes_loads_as_imu_only_dataset(tmp_path):
    root = tmp_path / "recs"
    for i, label in enumerate(["wave", "walk", "wave", "clap", "walk", "clap"] * 3):
        _take(root / f"s{1 + i % 2}" / f"take_{i:02d}.csv", label, n=60 + i, subject=1 + i % 2, seed=i)
    _take(root / "unlabelled.csv", None)
    (root / "notes.csv").write_text("some,other,csv\n")
    assert detect_layout(root) == "recordings"
    ds = load_dataset(root, use_cache=False)
    assert ds.layout == "recordings" and ds.skeleton is None and len(ds) == 18
    assert ds.label_names == ("clap", "walk", "wave") and ds.imu.shape == (18, 6, 50)
    assert ds.skipped == (f"{root / 'unlabelled.csv'}: no label in the header",)
    assert set(ds.subjects.tolist()) == {1, 2} and ds.durations_s.min() == pytest.approx(60 / 50)
    split = split_indices(ds)
    assert len(split["train"]) + len(split["val"]) + len(split["test"]) == 18
    assert split_indices(ds, "subjects:1//2")["test"].size == 9
    (root / "edgehar_dataset.json").write_text(json.dumps({"label_names": ["wave", "walk", "clap", "jump"]}))
    fixed = load_dataset(root, use_cache=False)
    assert fixed.label_names == ("wave", "walk", "clap", "jump")
    assert [fixed.label_names[i] for i in fixed.labels[:3]] == [ds.label_names[i] for i in ds.labels[:3]]


def test_inconsistent_takes_are_rejected(tmp_path):
    root = tmp_path / "recs"
    _take(root / "a.csv", "wave")
    with RecordingWriter(root / "b.csv", channels=CHANNELS, units=UNITS, rate_hz=100.0, label="wave") as w:
        w.write(np.zeros((10, 6)))
    with pytest.raises(EdgeharError, match=r"b.csv: channels/units/rate differ from .*a.csv"):
        load_dataset(root, use_cache=False)
