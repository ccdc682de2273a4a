"""BLE source: real bleak (BlueZ backend) against BlueZoo on a private D-Bus, device = the simulator.

No Bluetooth hardware or kernel support is needed; see tests/ble_emulation.py. BlueZoo does not
enforce the MTU, so the simulated peripheral reports it and cuts notifications itself.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest

from ble_emulation import PERIPHERAL_ADDRESS, emulated_bluez  # noqa: F401  (fixture)
from edgehar.errors import EdgeharError
from edgehar.runtime.sources.backoff import Backoff
from edgehar.runtime.sources.ble import BleSource
from edgehar.runtime.sources.factory import SourceSpec, fallback_config, open_source
from edgehar.simulate.ble_link import BleLink
from edgehar.simulate.device import SimulatedDevice
from edgehar.simulate.faults import FaultRates
from edgehar.simulate.runner import run_device
from source_harness import Tally, consume, ramp_motion, run_pair

NAME = "edgehar-test"


def _run(n, rate, *, mtu=247, offer=("edgehar", "nus"), target=NAME, respect_mtu=True, source_kw=None,
         binary=True, **device_kw):
    motion, samples = ramp_motion(n, rate)

    async def scenario():
        link = BleLink(NAME, mtu=mtu, offer=offer, respect_mtu=respect_mtu)
        device = SimulatedDevice(motion)
        source = BleSource(target, adapter="hci0", scan_timeout_s=5, backoff=Backoff(0.05, cap_s=0.5, seed=2),
                           **(source_kw or {}))
        return await run_pair(lambda: run_device(device, link, binary=binary, **device_kw), source,
                              timeout_s=30 + 1.5 * n / rate)

    stats, tally = asyncio.run(scenario())
    return samples, stats, tally


def test_scan_connect_and_notify_at_100_hz(emulated_bluez):
    # MTU 23 leaves room for one 6-channel sample per notification: 100 notifications a second.
    samples, stats, tally = _run(200, 100.0, mtu=23, speed=1.0)
    info_events = [e.detail for e in tally.kinds("info")]
    assert any("via edgehar service, MTU 23: up to 1 samples" in d for d in info_events)
    connected = tally.kinds("connected")
    assert len(connected) == 1 and connected[0].info.rate_hz == 100.0
    assert connected[0].info.device_name == NAME
    # The device waits for the subscription, so everything it measured arrived, in order, exact.
    assert stats.skipped_samples == 0
    assert np.array_equal(tally.samples, samples)
    assert [b.seq for b in tally.blocks] == list(range(200))
    arrivals = np.array([b.host_time for b in tally.blocks])
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    assert 90 < rate < 110, f"notification rate {rate:.1f}/s"


def test_link_loss_mid_stream_reconnects_without_duplicates(emulated_bluez):
    samples, stats, tally = _run(350, 100.0, speed=1.0, disconnect_every_s=1.0)
    assert stats.disconnects == 3
    losses = [t for t, e in tally.events if e.kind == "lost"]
    assert len(losses) >= stats.disconnects
    assert len(tally.kinds("connected")) == stats.disconnects + 1
    for t_lost in losses[: stats.disconnects]:
        t_next = min(b.host_time for b in tally.blocks if b.host_time > t_lost)
        assert t_next - t_lost < 1.5  # reconnect, rediscover, resubscribe, next frame
    seq = tally.tracker.stats
    assert seq.duplicates == 0 and seq.stale == 0  # BlueZoo's re-delivery bug is patched out
    last = tally.accepted[-1].seq
    assert seq.accepted + seq.lost_frames == last + 1
    # The outages are the gaps: frames measured while no host listened, give or take one in flight.
    assert abs(seq.lost_frames - stats.skipped_samples // 5) <= stats.disconnects
    assert seq.gaps == stats.disconnects
    for block in tally.accepted:
        assert np.array_equal(block.samples, samples[block.seq * 5 : block.seq * 5 + 5])


def test_faults_over_ble_are_counted(emulated_bluez):
    faults = FaultRates(drop=0.05, duplicate=0.05, corrupt=0.05, seed=11)
    samples, stats, tally = _run(600, 100.0, speed=2.0, faults=faults)
    f = stats.faults
    assert f.dropped and f.duplicated and f.corrupted
    assert tally.count("corrupt") == f.corrupted  # BLE corruption = a cut notification
    seq = tally.tracker.stats
    assert seq.duplicates == f.duplicated
    last = tally.accepted[-1].seq
    assert seq.lost_frames + (stats.frames - 1 - last) == f.dropped + f.corrupted


def test_frames_cut_by_a_small_mtu_are_counted_not_fatal(emulated_bluez):
    samples, stats, tally = _run(100, 100.0, mtu=23, respect_mtu=False, speed=2.0)
    assert stats.frames == 20
    cut = tally.kinds("corrupt")
    assert len(cut) == 20 and all("MTU 23" in e.detail for e in cut)
    assert not tally.accepted


def test_nus_text_by_address(emulated_bluez):
    samples, stats, tally = _run(150, 100.0, offer=("nus",), target=PERIPHERAL_ADDRESS, binary=False, speed=2.0)
    assert any("via NUS" in e.detail for e in tally.kinds("info"))
    assert any("detected text format" in e.detail for e in tally.kinds("info"))
    np.testing.assert_allclose(tally.samples, samples, rtol=1e-5, atol=1e-6)


def test_nus_binary_without_config_uses_the_given_channels(emulated_bluez):
    # At MTU 23 a CONFIG frame does not fit a NUS notification: the user describes the channels.
    spec = SourceSpec(
        ble=NAME, channels=("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
        units=("g", "g", "g", "deg/s", "deg/s", "deg/s"), scales=(16 / 32768,) * 3 + (2000 / 32768,) * 3,
        rate_hz=100.0,
    )
    samples, stats, tally = _run(400, 100.0, mtu=23, offer=("nus",), speed=1.0,
                                 source_kw={"fallback": fallback_config(spec), "fmt": "binary"})
    connected = tally.kinds("connected")
    assert len(connected) == 1 and "no CONFIG from the device" in connected[0].detail
    assert tally.tracker.stats.gaps == 0
    # Frames held while waiting are released in order once the fallback applies.
    assert np.array_equal(tally.samples, samples[: len(tally.samples)])
    assert len(tally.samples) == len(samples)


def test_unknown_name_is_a_clear_error(emulated_bluez):
    source = open_source(SourceSpec(ble="nobody-here", adapter="hci0", scan_timeout_s=1.5))

    async def first():
        async for _ in source:
            break

    with pytest.raises(EdgeharError, match="no device named 'nobody-here' found within 1.5 s"):
        asyncio.run(first())


def test_simulate_cli_as_a_ble_peripheral(emulated_bluez):
    proc = subprocess.Popen(
        [sys.executable, "-m", "edgehar.cli.main", "simulate", "synthetic", "--ble", "edgehar-cli",
         "--speed", "4", "--duration", "3s", "--disconnect-every", "2s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "port: edgehar-cli"
        tally = Tally()

        async def read():
            source = open_source(SourceSpec(ble="edgehar-cli", adapter="hci0", scan_timeout_s=5))
            reader = asyncio.create_task(consume(source, tally))
            await asyncio.sleep(4.0)
            await source.close()
            await asyncio.wait_for(reader, 5)

        asyncio.run(read())
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "1 disconnects" in out
    assert len(tally.kinds("connected")) == 2 and tally.kinds("lost")
    assert tally.tracker.stats.gaps == 1 and tally.tracker.stats.duplicates == 0


@pytest.mark.slow
def test_soak_a_minute_of_faults_and_link_losses(emulated_bluez):
    faults = FaultRates(drop=0.01, duplicate=0.01, corrupt=0.01, seed=5)
    samples, stats, tally = _run(6000, 100.0, speed=1.0, faults=faults, disconnect_every_s=7.0)
    f = stats.faults
    assert stats.disconnects == 8
    assert len(tally.kinds("connected")) == stats.disconnects + 1
    seq = tally.tracker.stats
    assert seq.duplicates == f.duplicated and seq.stale == 0
    assert tally.count("corrupt") == f.corrupted
    last = tally.accepted[-1].seq
    assert seq.accepted + seq.lost_frames == last + 1
    missing_by_faults = f.dropped + f.corrupted
    outage_frames = stats.skipped_samples // 5
    lost_after_last = stats.frames - 1 - last
    assert abs(seq.lost_frames + lost_after_last - missing_by_faults - outage_frames) <= stats.disconnects
    for block in tally.accepted:
        assert np.array_equal(block.samples, samples[block.seq * 5 : block.seq * 5 + 5])


def test_no_bluetooth_at_all_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    source = open_source(SourceSpec(ble=NAME, scan_timeout_s=1))

    async def first():
        async for _ in source:
            break

    with pytest.raises(EdgeharError, match="Bluetooth is not available here"):
        asyncio.run(first())
