"""Helpers for source tests: run a simulated device and a source side by side and tally the result.

The device runs in the test's event loop (its link is real: a pty, a TCP socket, or BlueZ over
D-Bus) while the source reads it exactly as ``edgehar stream`` would; the tally is what the
pipeline would see, with sequence numbers checked by the protocol's own tracker.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np

from edgehar.protocol import SequenceTracker
from edgehar.runtime.sources.base import Block, LinkEvent, Source, StreamInfo
from edgehar.simulate.motion import Motion


def ramp_motion(n: int, rate_hz: float = 50.0, channels: int = 6) -> tuple[Motion, np.ndarray]:
    """A take (in two segments) whose values survive int16 quantisation exactly, and its samples."""
    info = StreamInfo(
        channels=("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")[:channels],
        units=("g", "g", "g", "deg/s", "deg/s", "deg/s")[:channels],
        rate_hz=rate_hz,
        device_name="edgehar-test",
    )
    index = np.arange(n, dtype=np.float64)[:, None]
    counts = (index * 7 + np.arange(channels)[None, :] * 1000) % 30000 - 15000  # int16 counts
    scales = np.array([16 / 32768] * 3 + [2000 / 32768] * 3)[:channels]
    samples = (counts * scales).astype(np.float32)
    return Motion(info, iter([samples[: n // 2], samples[n // 2 :]]), "ramp"), samples


@dataclass
class Tally:
    """What a consumer of the source saw."""

    blocks: list[Block] = field(default_factory=list)
    events: list[tuple[float, LinkEvent]] = field(default_factory=list)
    tracker: SequenceTracker = field(default_factory=SequenceTracker)
    accepted: list[Block] = field(default_factory=list)

    def kinds(self, kind: str) -> list[LinkEvent]:
        return [e for _, e in self.events if e.kind == kind]

    def count(self, kind: str) -> int:
        return sum(e.count for e in self.kinds(kind))

    @property
    def samples(self) -> np.ndarray:
        """Accepted samples in arrival order (duplicates and stale frames removed by seq)."""
        parts = [b.samples for b in self.accepted]
        return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


async def consume(source: Source, tally: Tally, until: asyncio.Event | None = None) -> None:
    async for item in source:
        now = time.monotonic()
        if isinstance(item, Block):
            tally.blocks.append(item)
            if item.seq is None or tally.tracker.update(item.seq).accept:
                tally.accepted.append(item)
        else:
            tally.events.append((now, item))
        if until is not None and until.is_set():
            break


async def run_pair(device_run, source: Source, *, host_joins_after_s: float | None = None,
                   settle_s: float = 0.3, timeout_s: float = 30.0) -> tuple[object, Tally]:
    """Run ``device_run()`` (a coroutine factory) to its end with ``source`` reading, then close it.

    The host connects first and the device starts 0.3 s later, unless ``host_joins_after_s`` says
    the host connects that long after the device started (it then missed the start-up CONFIG).
    """
    tally = Tally()
    if host_joins_after_s is None:
        reader = asyncio.create_task(consume(source, tally))
        await asyncio.sleep(0.3)
        device = asyncio.ensure_future(device_run())
    else:
        device = asyncio.ensure_future(device_run())
        await asyncio.sleep(host_joins_after_s)
        reader = asyncio.create_task(consume(source, tally))
    try:
        stats = await asyncio.wait_for(device, timeout_s)
        await asyncio.sleep(settle_s)
    finally:
        await source.close()
        await asyncio.wait_for(reader, 5)
    return stats, tally
