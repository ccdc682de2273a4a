"""The device simulator: what it encodes, its seeded faults, and ``edgehar simulate`` as a process."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgehar.errors import EdgeharError
from edgehar.protocol import ConfigFrame, DataFrame, StreamDecoder, decode_frame, serial_wrap
from edgehar.runtime.sources.base import Block
from edgehar.runtime.sources.factory import SourceSpec, open_source
from edgehar.simulate.device import SimulatedDevice
from edgehar.simulate.faults import FaultInjector, FaultRates
from edgehar.simulate.motion import open_motion
from source_harness import ramp_motion

UTD = Path(__file__).resolve().parents[2] / "shared/data/utd-mhad"


def test_device_frames_decode_back_to_its_samples():
    motion, samples = ramp_motion(12, 100.0)
    device = SimulatedDevice(motion)
    config = decode_frame(device.config_payload(5))
    assert isinstance(config, ConfigFrame)
    assert config.sample_rate_hz == 100.0 and config.samples_per_frame == 5
    assert config.units == ("g", "g", "g", "deg/s", "deg/s", "deg/s")
    frames = [decode_frame(device.data_payload(device.take(5)), 6) for _ in range(2)]
    assert [f.seq for f in frames] == [0, 1] and [f.device_time_us for f in frames] == [0, 50000]
    assert np.array_equal(np.concatenate([config.to_physical(f) for f in frames]), samples[:10])
    text = device.text_payload(device.take(5))  # only 2 left: the take ends
    assert text.count(b"\n") == 2 and device.exhausted
    device.skip(np.zeros((5, 6)), binary=True)
    assert device.seq == 3 and device.sample_index == 17


def test_faults_are_seeded_and_each_kind_is_what_a_receiver_sees():
    messages = [serial_wrap(bytes([0x11, 1, i, 0, 0, 0, 0, 0]) + bytes(12)) for i in range(200)]
    rates = FaultRates(drop=0.1, duplicate=0.1, corrupt=0.1, reorder=0.1, seed=7)

    def play(mode):
        injector = FaultInjector(rates, mode)
        out = [m for msg in messages for m in injector.apply(msg)] + injector.flush()
        return injector.counts, out

    counts, out = play("serial")
    assert play("serial")[1] == out  # same seed, same faults
    assert counts.dropped and counts.duplicated and counts.corrupted and counts.reordered
    assert len(out) == counts.sent == 200 - counts.dropped + counts.duplicated
    decoder = StreamDecoder()
    seqs = [f.seq for f in decoder.feed(b"".join(out)) if isinstance(f, DataFrame)]
    assert decoder.stats.corrupt >= counts.corrupted  # the CRC catches every flipped byte
    assert seqs != sorted(seqs)  # reordered

    counts, out = play("ble")
    short = [m for m in out if len(m) < len(messages[0])]
    assert counts.corrupted <= len(short) <= 2 * counts.corrupted  # a cut one may also be duplicated
    assert all(any(orig.startswith(m) for orig in messages) for m in short)  # cut, not garbled
    none = FaultInjector(FaultRates(), "serial")
    assert [m for msg in messages for m in none.apply(msg)] == messages
    with pytest.raises(EdgeharError, match="--drop"):
        FaultRates(drop=1.5)


def test_text_corruption_makes_an_unreadable_line():
    injector = FaultInjector(FaultRates(corrupt=1.0, seed=1), "text")
    (line,) = injector.apply(b"1.5,2.5,3.5\n")
    assert line.count(b"#") == 1 and line.endswith(b"\n")


@pytest.mark.skipif(not (UTD / "Inertial").is_dir(), reason="UTD-MHAD not found at ../shared/data/utd-mhad")
def test_a_utd_mhad_folder_plays_as_one_stream():
    from scipy.io import loadmat

    motion = open_motion(str(UTD))
    first = next(motion.segments)
    second = next(motion.segments)
    assert motion.info.rate_hz == 50.0 and "861 files" in motion.description
    assert np.array_equal(first, loadmat(str(UTD / "Inertial/a1_s1_t1_inertial.mat"))["d_iner"].astype(np.float32))
    assert np.array_equal(second, loadmat(str(UTD / "Inertial/a1_s1_t2_inertial.mat"))["d_iner"].astype(np.float32))


def test_cli_streams_over_a_pty_that_a_serial_source_reads(tmp_path):
    # 4 s, not 2: a pty streams from the start, and on a loaded machine the reader attached ~1 s late
    # and saw fewer than the 200 samples asserted below
    link = tmp_path / "ttySIM"
    proc = subprocess.Popen(
        [sys.executable, "-m", "edgehar.cli.main", "simulate", "synthetic", "--link", str(link),
         "--speed", "4", "--duration", "4s", "--drop", "0.1", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first == f"port: {link}", first + proc.stderr.read()
        assert "6 channels at 50 Hz, binary" in proc.stdout.readline()

        async def read():
            source = open_source(SourceSpec(serial=str(link)))
            blocks, events = [], []
            async for item in source:
                (blocks if isinstance(item, Block) else events).append(item)
                if any(e.kind == "lost" for e in events):
                    await source.close()
            return blocks, events

        blocks, events = asyncio.run(asyncio.wait_for(read(), 20))
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert events[0].kind == "info" and any(e.kind == "connected" for e in events)
    assert sum(len(b.samples) for b in blocks) > 200
    assert "dropped" in out and "sent" in out


def test_cli_rejects_bad_options_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "edgehar.cli.main", "simulate", "--format", "xml"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["error: --format must be binary or text, got 'xml'"]


def test_cli_unusable_ports_are_one_line_errors(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        for args, message in (
            (["--tcp", "70000"], "TCP port 70000 on 127.0.0.1: cannot listen"),
            (["--tcp", str(taken.getsockname()[1])], "cannot listen"),
            (["--link", str(tmp_path / "missing" / "ttyX")], f"{tmp_path / 'missing' / 'ttyX'}: cannot make the port's link"),
        ):
            result = subprocess.run(
                [sys.executable, "-m", "edgehar.cli.main", "simulate", "synthetic", "--duration", "1s", *args],
                capture_output=True, text=True, timeout=30,
            )
            assert result.returncode == 2, result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    finally:
        taken.close()
