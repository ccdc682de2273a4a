"""The simulated device's main loop: sample, frame, pace, inject faults, answer the host.

Timing follows the device clock: the frame ending with sample k leaves at ``start + k / (rate *
speed)``, so a slow host or a busy machine never changes the data, only when it arrives. At
``speed=None`` (``max``) frames leave as fast as the link takes them, and nothing is dropped for
lack of buffer space.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable

from edgehar.protocol import Opcode
from edgehar.simulate.device import SimulatedDevice
from edgehar.simulate.faults import FaultCounts, FaultInjector, FaultRates
from edgehar.simulate.link import Link

_HOST_POLL_S = 0.01
_YIELD_EVERY = 32


@dataclass
class SimulationStats:
    """What the device did; tests compare it with what the host received."""

    samples: int = 0  # measured (taken from the takes)
    sent_samples: int = 0  # in messages handed to the link while a host listened
    skipped_samples: int = 0  # measured while no host listened (lost, seq moved on)
    frames: int = 0
    configs: int = 0
    disconnects: int = 0
    overflows: int = 0
    faults: FaultCounts = field(default_factory=FaultCounts)


async def run_device(
    device: SimulatedDevice,
    link: Link,
    *,
    binary: bool = True,
    speed: float | None = 1.0,
    faults: FaultRates = FaultRates(),
    disconnect_every_s: float | None = None,
    samples_per_frame: int = 5,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Link], None] | None = None,
    linger_s: float = 0.5,
) -> SimulationStats:
    """Stream ``device`` over ``link`` until the takes end, ``duration_s`` passes or ``stop`` is set."""
    stop = stop or asyncio.Event()
    stats = SimulationStats()
    injector = FaultInjector(faults, link.corrupt_mode if binary else "text")
    await link.start()
    try:
        if binary:
            await link.send_config(device.config_payload(link.samples_per_frame(device.channels, samples_per_frame)))
            stats.configs += 1
        seen_connection = link.connection  # a host arriving later gets its own CONFIG
        if on_ready is not None:
            on_ready(link)
        while link.waits_for_host and not link.has_host() and not stop.is_set():
            await asyncio.sleep(_HOST_POLL_S)
        preferred = samples_per_frame
        streaming = True
        current_n = None
        played = 0
        start = time.monotonic()
        next_drop = None if not disconnect_every_s else start + disconnect_every_s
        while not stop.is_set():
            now = time.monotonic()
            if duration_s is not None and now - start >= duration_s:
                break
            need_config = False
            for command in link.commands():
                if command.opcode == Opcode.REQUEST_CONFIG:
                    need_config = True
                elif command.opcode == Opcode.START:
                    streaming = True
                elif command.opcode == Opcode.STOP:
                    streaming = False
                elif command.opcode == Opcode.SET_SAMPLES_PER_FRAME:
                    preferred = max(1, command.arg)
            host = link.has_host()
            if host and link.connection != seen_connection:
                seen_connection = link.connection
                need_config = True  # firmware sends CONFIG after every connection
            n = link.samples_per_frame(device.channels, preferred)
            if n != current_n:
                need_config = need_config or current_n is not None
                current_n = n
            if binary and host and need_config:
                await link.send_config(device.config_payload(n))
                stats.configs += 1
            samples = device.take(n)
            if not len(samples):
                break
            played += len(samples)
            stats.samples += len(samples)
            if speed is not None:
                delay = start + (played - 1) / (device.rate_hz * speed) - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif stats.frames % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            stats.frames += 1
            if next_drop is not None and time.monotonic() >= next_drop:
                injector.flush()  # a frame held for reordering dies with the link
                await link.drop_host()
                stats.disconnects += 1
                next_drop += disconnect_every_s  # type: ignore[operator]
            if streaming and link.has_host():
                wait = speed is None
                if binary:
                    for message in injector.apply(link.wrap(device.data_payload(samples), True)):
                        await link.send(message, wait)
                else:
                    for message in injector.apply(device.text_payload(samples)):
                        await link.send_text(message, wait)
                stats.sent_samples += len(samples)
            else:
                device.skip(samples, binary)
                stats.skipped_samples += len(samples)
        for message in injector.flush():
            await (link.send(message, True) if binary else link.send_text(message, True))
        if linger_s > 0:
            await asyncio.sleep(linger_s)  # let the host drain what is still buffered
    finally:
        stats.faults = injector.counts
        stats.overflows = link.overflows
        await link.close()
    return stats
