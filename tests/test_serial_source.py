"""Serial source against the simulated board over real pseudo-terminals and TCP, with real pyserial."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from edgehar.errors import EdgeharError
from edgehar.runtime.sources.backoff import Backoff
from edgehar.runtime.sources.factory import SourceSpec, open_source
from edgehar.runtime.sources.serial import SerialSource
from edgehar.simulate.device import SimulatedDevice
from edgehar.simulate.faults import FaultRates
from edgehar.simulate.pty_link import PtyLink
from edgehar.simulate.runner import run_device
from edgehar.simulate.tcp_link import TcpLink
from source_harness import ramp_motion, run_pair


async def _serial_run(link, n, rate=100.0, fmt_device="binary", fmt_host="auto", host_joins_after_s=None, **device_kw):
    motion, samples = ramp_motion(n, rate)
    device = SimulatedDevice(motion)
    await link.start()
    source = SerialSource(link.address, fmt=fmt_host, backoff=Backoff(0.02, cap_s=0.2, seed=1))
    stats, tally = await run_pair(
        lambda: run_device(device, link, binary=fmt_device == "binary", **device_kw), source,
        host_joins_after_s=host_joins_after_s, timeout_s=30 + 1.5 * n / rate,
    )
    return samples, stats, tally


def test_binary_frames_at_real_rate_arrive_complete_and_exact(tmp_path):
    link = PtyLink(str(tmp_path / "ttyBOARD"))
    start = time.monotonic()
    samples, stats, tally = asyncio.run(_serial_run(link, 150, rate=100.0, speed=1.0))
    elapsed = time.monotonic() - start
    assert elapsed >= 1.4  # 150 samples at 100 Hz really took their time
    connected = tally.kinds("connected")
    assert len(connected) == 1 and connected[0].info.rate_hz == 100.0
    assert connected[0].info.units == ("g", "g", "g", "deg/s", "deg/s", "deg/s")
    assert np.array_equal(tally.samples, samples)  # int16 round trip is exact for these values
    assert tally.tracker.stats.gaps == 0 and tally.count("corrupt") == 0
    assert [b.seq for b in tally.blocks] == list(range(30))
    times = [b.device_time_us for b in tally.blocks]
    assert times == [round(i * 5 * 1e6 / 100.0) for i in range(30)]
    # Host arrival follows the device clock: 5-sample frames every ~50 ms.
    arrivals = np.diff([b.host_time for b in tally.blocks])
    assert 0.035 < float(np.median(arrivals)) < 0.065


def test_text_lines_detected_and_parsed(tmp_path):
    link = PtyLink(str(tmp_path / "ttyBOARD"))
    samples, stats, tally = asyncio.run(_serial_run(link, 60, rate=100.0, fmt_device="text", speed=2.0))
    assert any("detected text" in e.detail for e in tally.kinds("info"))
    info = tally.kinds("connected")[0].info
    assert info.channels[:3] == ("acc_x", "acc_y", "acc_z") and info.rate_hz is None
    got = tally.samples
    assert got.shape == samples.shape
    np.testing.assert_allclose(got, samples, rtol=1e-5, atol=1e-6)  # CSV carries 6 significant digits
    assert all(b.seq is None and b.device_time_us is None for b in tally.blocks)


def test_unplug_and_replug_reconnects_and_accounts_for_every_frame(tmp_path):
    link = PtyLink(str(tmp_path / "ttyBOARD"), unplugged_s=0.3)
    samples, stats, tally = asyncio.run(
        _serial_run(link, 300, rate=100.0, speed=1.0, disconnect_every_s=0.8)
    )
    assert stats.disconnects == 3
    lost = tally.kinds("lost")
    assert len(lost) == stats.disconnects + 1  # the end of the run unplugs the board too
    assert all("disconnected" in e.detail or "Input/output" in e.detail or "read failed" in e.detail for e in lost)
    assert len(tally.kinds("connected")) == stats.disconnects + 1  # a CONFIG after every replug
    seq = tally.tracker.stats
    frames_skipped = stats.skipped_samples // 5
    # Every frame the board made is either received or reported missing by the sequence numbers.
    assert seq.duplicates == 0 and seq.stale == 0
    # Frames still in the pty buffer when the cable goes are lost too, as on a real unplug.
    assert frames_skipped <= seq.lost_frames <= frames_skipped + 2 * stats.disconnects
    assert seq.accepted + seq.lost_frames == stats.frames
    assert tally.samples.shape[0] + 5 * seq.lost_frames == samples.shape[0]
    # Reconnect time: from the loss to the next block, bounded by unplug time + backoff.
    times = [t for t, e in tally.events if e.kind == "lost"][:-1]
    for t_lost in times:
        t_next = min(b.host_time for b in tally.blocks if b.host_time > t_lost)
        assert t_next - t_lost < 1.0


def test_faults_are_counted_and_never_fatal(tmp_path):
    link = PtyLink(str(tmp_path / "ttyBOARD"))
    faults = FaultRates(drop=0.05, duplicate=0.05, corrupt=0.1, seed=3)
    samples, stats, tally = asyncio.run(_serial_run(link, 1000, rate=100.0, speed=None, faults=faults))
    f = stats.faults
    assert f.dropped > 0 and f.duplicated > 0 and f.corrupted > 0
    assert tally.count("corrupt") >= f.corrupted  # a byte turned into 0x00 splits a frame in two
    seq = tally.tracker.stats
    assert seq.duplicates == f.duplicated
    last = tally.accepted[-1].seq
    assert seq.accepted + seq.lost_frames == last + 1
    # Losses after the last received frame cannot show as a gap; all others do.
    assert seq.lost_frames + (stats.frames - 1 - last) == f.dropped + f.corrupted
    # What arrived is exactly the board's data at the frames that arrived.
    for block in tally.accepted:
        start = block.seq * 5
        assert np.array_equal(block.samples, samples[start : start + 5])


def test_tcp_socket_link_with_reconnect():
    link = TcpLink(0)
    samples, stats, tally = asyncio.run(_serial_run(link, 250, rate=100.0, speed=1.0, disconnect_every_s=0.9))
    assert stats.disconnects == 2
    assert len(tally.kinds("lost")) == 3 and len(tally.kinds("connected")) == 3  # + the final close
    seq = tally.tracker.stats
    assert seq.accepted + seq.lost_frames == stats.frames and seq.duplicates == 0


def test_first_open_failure_is_a_clear_error(tmp_path):
    source = open_source(SourceSpec(serial=str(tmp_path / "no-such-port")))

    async def first_item():
        async for _ in source:
            break

    with pytest.raises(EdgeharError, match="no-such-port: cannot open"):
        asyncio.run(first_item())


def test_host_joining_mid_stream_requests_config(tmp_path):
    """pyserial drops what the port buffered when it opens, start-up CONFIG included: the source
    asks for one (REQUEST_CONFIG) and holds the DATA frames until it comes."""
    link = PtyLink(str(tmp_path / "ttyBOARD"))
    samples, stats, tally = asyncio.run(_serial_run(link, 200, rate=100.0, speed=1.0, host_joins_after_s=0.5))
    assert len(tally.kinds("connected")) == 1
    assert stats.configs >= 2  # the start-up one and the answer to the request
    seq = tally.tracker.stats
    assert seq.gaps == 0 and seq.accepted >= 25
    first = tally.accepted[0].seq
    assert np.array_equal(tally.samples, samples[first * 5 :])


@pytest.mark.slow
def test_soak_a_minute_of_faults_and_unplugs(tmp_path):
    link = PtyLink(str(tmp_path / "ttyBOARD"), unplugged_s=0.5)
    faults = FaultRates(drop=0.01, duplicate=0.01, corrupt=0.01, seed=9)
    samples, stats, tally = asyncio.run(
        _serial_run(link, 6000, rate=100.0, speed=1.0, faults=faults, disconnect_every_s=7.0)
    )
    assert stats.disconnects == 8
    seq = tally.tracker.stats
    assert seq.duplicates == stats.faults.duplicated and seq.stale == 0
    last = tally.accepted[-1].seq
    assert seq.accepted + seq.lost_frames == last + 1
    for block in tally.accepted:
        assert np.array_equal(block.samples, samples[block.seq * 5 : block.seq * 5 + 5])
