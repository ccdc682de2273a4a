"""Replay source: UTD-MHAD files and recordings played as a device would stream them; open_source."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from edgehar.data.recording import RecordingWriter
from edgehar.errors import EdgeharError
from edgehar.runtime.sources.base import Block
from edgehar.runtime.sources.factory import SourceSpec, fallback_config, open_source
from edgehar.runtime.sources.replay import ReplaySource, parse_speed
from edgehar.runtime.sources.takes import take_files

UTD = Path(__file__).resolve().parents[2] / "shared/data/utd-mhad"


def _collect(source) -> tuple[list[Block], list]:
    async def run():
        blocks, events = [], []
        async for item in source:
            (blocks if isinstance(item, Block) else events).append(item)
        return blocks, events

    return asyncio.run(run())


@pytest.mark.skipif(not (UTD / "Inertial").is_dir(), reason="UTD-MHAD not found at ../shared/data/utd-mhad")
def test_utd_mhad_inertial_replays_every_sample_at_50_hz():
    from scipy.io import loadmat

    path = UTD / "Inertial" / "a27_s8_t3_inertial.mat"
    expected = loadmat(str(path))["d_iner"].astype(np.float32)
    source = open_source(SourceSpec(replay=str(path), speed="max"))
    blocks, events = _collect(source)
    assert events[0].kind == "connected" and events[0].info.rate_hz == 50.0
    assert events[0].info.units == ("g", "g", "g", "deg/s", "deg/s", "deg/s")
    assert np.array_equal(np.concatenate([b.samples for b in blocks]), expected)
    assert [b.seq for b in blocks] == list(range(len(blocks)))
    starts = np.cumsum([0] + [len(b.samples) for b in blocks[:-1]])
    assert [b.device_time_us for b in blocks] == [int(round(s * 20000)) for s in starts]
    assert take_files(UTD)[0].name == "a1_s1_t1_inertial.mat"  # natural order, not a10 first


def test_speed_paces_the_replay(tmp_path):
    path = tmp_path / "a1_s1_t1_inertial.mat"
    data = np.random.default_rng(0).normal(size=(26, 6))
    savemat(str(path), {"d_iner": data})
    for speed, duration in ((1.0, 0.5), (5.0, 0.1)):
        start = time.monotonic()
        blocks, _ = _collect(ReplaySource(path, speed=speed))
        elapsed = time.monotonic() - start
        assert duration * 0.9 <= elapsed <= duration + 0.5, (speed, elapsed)
        np.testing.assert_allclose(np.concatenate([b.samples for b in blocks]), data, rtol=1e-6)


def test_recording_replay_keeps_device_times_and_marks_gaps(tmp_path):
    channels, units = ("acc_x", "acc_y", "acc_z"), ("g", "g", "g")
    timed = tmp_path / "timed.csv"
    with RecordingWriter(timed, channels=channels, units=units, rate_hz=100.0, label="walk") as w:
        w.write(np.ones((10, 3)), host_time=100.0, device_time_us=5_000_000)
        w.gap("link lost", missing_samples=20)
        w.write(np.full((10, 3), 2.0), host_time=100.4, device_time_us=5_300_000)
    blocks, events = _collect(ReplaySource(timed, speed=None, block_samples=4))
    assert [e.kind for e in events] == ["connected", "lost", "connected"]
    assert [b.device_time_us for b in blocks] == [5_000_000, 5_040_000, 5_080_000, 5_300_000, 5_340_000, 5_380_000]
    assert all(len(b.samples) <= 4 for b in blocks) and sum(len(b.samples) for b in blocks) == 20

    untimed = tmp_path / "untimed.csv"
    with RecordingWriter(untimed, channels=channels, units=units, rate_hz=50.0, label="walk") as w:
        w.write(np.ones((5, 3)), host_time=10.0)
        w.gap("link lost")
        w.write(np.ones((5, 3)), host_time=11.0)
    blocks, events = _collect(ReplaySource(untimed, speed=None))
    # No device clock: one is made at the nominal rate, and it jumps over the gap by host time.
    assert [b.device_time_us for b in blocks] == [0, 1_080_000]


def test_parse_speed():
    assert parse_speed("1") == 1.0 and parse_speed("10") == 10.0 and parse_speed("2.5x") == 2.5
    assert parse_speed("max") is None and parse_speed("MAX") is None
    for bad in ("0", "-1", "fast", "inf"):
        with pytest.raises(EdgeharError, match="--speed"):
            parse_speed(bad)


def test_open_source_rejects_impossible_combinations(tmp_path):
    cases = [
        (SourceSpec(), "exactly one source"),
        (SourceSpec(serial="/dev/x", ble="dev"), "exactly one source"),
        (SourceSpec(serial="/dev/x", format="csv"), "--format"),
        (SourceSpec(serial="/dev/x", channels=("a", "b")), "go together"),
        (SourceSpec(serial="/dev/x", channels=("a", "b"), units=("g",)), "one unit per channel"),
        (SourceSpec(serial="/dev/x", channels=("a",), units=("g",), scales=(0.1,)), "--rate"),
        (SourceSpec(replay=str(tmp_path / "missing.mat")), "no such file"),
        (SourceSpec(replay=str(tmp_path)), "no such file"),
    ]
    for spec, message in cases:
        with pytest.raises(EdgeharError, match=message):
            open_source(spec)
    bad = tmp_path / "x_inertial.mat"
    savemat(str(bad), {"other": np.zeros((3, 6))})
    with pytest.raises(EdgeharError, match="no 'd_iner' array"):
        open_source(SourceSpec(replay=str(bad)))
    garbled = tmp_path / "y_inertial.mat"
    garbled.write_bytes(b"not a MATLAB file\n")
    with pytest.raises(EdgeharError, match="y_inertial.mat: cannot read as a MATLAB file"):
        open_source(SourceSpec(replay=str(garbled)))


def test_fallback_config_from_user_flags():
    spec = SourceSpec(serial="/dev/x", channels=("ax", "gx"), units=("g", "deg/s"), scales=(0.5, 0.25), rate_hz=99.84)
    config = fallback_config(spec)
    assert config.rate_mhz == 99840 and config.labels == ("ax", "gx") and list(config.scales) == [0.5, 0.25]
    assert fallback_config(SourceSpec(serial="/dev/x")) is None


def test_small_mat_reader_matches_scipy(tmp_path):
    from scipy.io import loadmat

    from edgehar.runtime.sources.mat_file import UnsupportedMat, read_mat_array

    rng = np.random.default_rng(1)
    arrays = {"d_iner": rng.normal(size=(40, 6)), "ints": np.arange(12, dtype=np.int16).reshape(3, 4),
              "cube": rng.normal(size=(2, 3, 4)).astype(np.float32)}
    for compress in (False, True):
        path = tmp_path / f"c{int(compress)}.mat"
        savemat(str(path), {**arrays, "label": "text is skipped"}, do_compression=compress)
        for key in arrays:
            got, want = read_mat_array(path, key), loadmat(str(path))[key]
            assert got.dtype == want.dtype and np.array_equal(got, want), (compress, key)
        assert read_mat_array(path, "missing") is None
    files = sorted((UTD / "Inertial").glob("a2*_s3_t1_inertial.mat")) if UTD.is_dir() else []
    for path in files:  # MATLAB-written, compressed files of the real dataset
        assert np.array_equal(read_mat_array(path, "d_iner"), loadmat(str(path))["d_iner"])
    (tmp_path / "h5.mat").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(600))
    with pytest.raises(UnsupportedMat):
        read_mat_array(tmp_path / "h5.mat", "d_iner")
    with pytest.raises(EdgeharError, match="cannot read as a MATLAB file"):
        open_source(SourceSpec(replay=str(tmp_path / "h5.mat")))
