"""Figures of the sources on real links: throughput, notification rate, reconnect time.

    python benchmarks/source_links.py            # replay + serial pty; BLE too when dbus-daemon and bluezoo exist

- replay at max speed: blocks and samples per second the source alone yields (no pipeline);
- serial at max speed: samples per second through a pty from the simulated board (binary frames
  and CSV text), pyserial reading in its thread;
- BLE (emulated BlueZ, real bleak): notifications per second at 100 Hz and MTU 23 (one sample per
  notification), and the time from a link loss to the next block, over several losses.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the BLE emulation and the test harness live there

from edgehar.runtime.sources.backoff import Backoff  # noqa: E402
from edgehar.runtime.sources.base import StreamInfo  # noqa: E402
from edgehar.runtime.sources.replay import ReplaySource  # noqa: E402
from edgehar.runtime.sources.serial import SerialSource  # noqa: E402
from edgehar.runtime.sources.takes import Take  # noqa: E402
from edgehar.simulate.device import SimulatedDevice  # noqa: E402
from edgehar.simulate.pty_link import PtyLink  # noqa: E402
from edgehar.simulate.runner import run_device  # noqa: E402
from source_harness import ramp_motion, run_pair  # noqa: E402

INFO = StreamInfo(("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), ("g",) * 3 + ("deg/s",) * 3, 100.0)


def replay_throughput(samples: int, block: int) -> tuple[float, float]:
    take = Take(INFO, np.zeros((samples, 6), np.float32))

    async def run():
        n = blocks = 0
        start = time.perf_counter()
        async for item in ReplaySource(take, speed=None, block_samples=block):
            if hasattr(item, "samples"):
                n += len(item.samples)
                blocks += 1
        return n / (time.perf_counter() - start), blocks / (time.perf_counter() - start)

    return asyncio.run(run())


def serial_throughput(samples: int, binary: bool) -> float:
    async def run():
        motion, _ = ramp_motion(samples, 100.0)
        link = PtyLink(tempfile.mkdtemp(prefix="bench-") + "/tty")
        await link.start()
        source = SerialSource(link.address, backoff=Backoff(0.02, cap_s=0.2))
        stats, tally = await run_pair(lambda: run_device(SimulatedDevice(motion), link, binary=binary, speed=None,
                                                         linger_s=0.0), source, settle_s=0.0, timeout_s=120)
        last = max(b.host_time for b in tally.blocks)
        first = min(b.host_time for b in tally.blocks)
        return sum(len(b.samples) for b in tally.blocks) / (last - first)

    return asyncio.run(run())


def ble_figures(losses: int) -> dict[str, float]:
    import os

    from ble_emulation import missing_requirement, start_emulated_bluez
    from edgehar.runtime.sources.ble import BleSource
    from edgehar.simulate.ble_link import BleLink

    reason = missing_requirement()
    if reason:
        return {"skipped": reason}
    emulated = start_emulated_bluez(Path(tempfile.mkdtemp(prefix="bench-ble-")))
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = emulated.address
    try:
        async def notify_rate():
            motion, _ = ramp_motion(500, 100.0)
            link = BleLink("edgehar-bench", mtu=23)
            source = BleSource("edgehar-bench", adapter="hci0", backoff=Backoff(0.05, cap_s=0.5))
            _, tally = await run_pair(lambda: run_device(SimulatedDevice(motion), link, speed=1.0), source)
            times = np.array([b.host_time for b in tally.blocks])
            return (len(times) - 1) / (times[-1] - times[0]), len(times)

        async def reconnects():
            motion, _ = ramp_motion(100 * (losses + 1), 100.0)
            link = BleLink("edgehar-bench2")
            source = BleSource("edgehar-bench2", adapter="hci0", backoff=Backoff(0.05, cap_s=0.5))
            stats, tally = await run_pair(
                lambda: run_device(SimulatedDevice(motion), link, speed=1.0, disconnect_every_s=1.0), source
            )
            gaps = []
            for t_lost in [t for t, e in tally.events if e.kind == "lost"][: stats.disconnects]:
                gaps.append(min(b.host_time for b in tally.blocks if b.host_time > t_lost) - t_lost)
            return gaps

        rate, count = asyncio.run(notify_rate())
        gaps = asyncio.run(reconnects())
        return {"notifications_per_s": round(float(rate), 2), "notifications": count,
                "reconnect_median_s": round(statistics.median(gaps), 4), "reconnect_max_s": round(max(gaps), 4),
                "losses": len(gaps)}
    finally:
        emulated.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--losses", type=int, default=5, help="BLE link losses to time")
    parser.add_argument("--no-ble", action="store_true")
    args = parser.parse_args()
    for block in (5, 50):
        samples_s, blocks_s = replay_throughput(200_000, block)
        print(f"replay max speed, {block}-sample blocks: {samples_s:,.0f} samples/s ({blocks_s:,.0f} blocks/s)")
    print(f"serial pty max speed, binary frames: {serial_throughput(20_000, True):,.0f} samples/s")
    print(f"serial pty max speed, CSV text: {serial_throughput(20_000, False):,.0f} samples/s")
    if not args.no_ble:
        print(f"BLE (BlueZoo): {ble_figures(args.losses)}")


if __name__ == "__main__":
    main()
