"""Replay source: a recording or a dataset file played as a device would stream it.

At ``speed`` 1 the blocks arrive at the take's real rate, at N times that rate, or as fast as
the consumer takes them (``max``, for throughput benchmarks and for evaluating a model on a
file). Blocks carry a sequence number and a device time like a binary link's frames, so a replay
exercises the same pipeline path as a live device.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import AsyncIterator

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.runtime.sources.base import Block, Item, LinkEvent, Source
from edgehar.runtime.sources.takes import Take, load_take

#: Default block length: about one BLE notification's worth of samples per 100 ms.
DEFAULT_BLOCK_S = 0.1
#: At ``max`` speed, blocks between two yields to the event loop (so close() and Ctrl-C work).
_YIELD_EVERY = 64
_U32 = 1 << 32


def parse_speed(text: str | float | None) -> float | None:
    """``"1"``, ``"10"``, ``"2.5x"`` -> factor; ``"max"`` (or None) -> None, meaning unpaced."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        word = text.strip().lower()
        if word == "max":
            return None
        try:
            value = float(word[:-1] if word.endswith("x") else word)
        except ValueError:
            raise EdgeharError(f"--speed must be a positive number or 'max', got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise EdgeharError(f"--speed must be a positive number or 'max', got {text!r}")
    return value


class ReplaySource(Source):
    """Plays one take (see :func:`~edgehar.runtime.sources.takes.load_take`) once, then ends."""

    def __init__(self, take: Take | str | Path, speed: float | None = 1.0, block_samples: int | None = None):
        self.take = take if isinstance(take, Take) else load_take(take)
        rate = self.take.info.rate_hz
        if not rate or rate <= 0:
            raise EdgeharError(f"{self.take.path}: the take has no sample rate to replay it at")
        self.rate_hz = float(rate)
        self.speed = speed
        self.block_samples = block_samples or max(1, round(self.rate_hz * DEFAULT_BLOCK_S))
        if self.block_samples < 1:
            raise EdgeharError(f"replay block size must be at least 1 sample, got {self.block_samples}")
        self.info = self.take.info
        self._closed = False

    async def close(self) -> None:
        self._closed = True

    def _device_times(self) -> np.ndarray:
        """Device time of every sample (µs): recorded, or from the index at the nominal rate.

        Without recorded device times the clock still jumps over marked gaps by the recorded
        host-time difference, so the pipeline sees the hole instead of joining both sides.
        """
        take = self.take
        if take.device_time_us is not None:
            return take.device_time_us.astype(np.int64)
        n = take.samples.shape[0]
        step = np.full(n, 1e6 / self.rate_hz)
        step[0] = 0.0
        if take.host_time_s is not None:
            for g in take.gaps_after:
                if g + 1 < n:
                    step[g + 1] = max(step[g + 1], (take.host_time_s[g + 1] - take.host_time_s[g]) * 1e6)
        return np.round(np.cumsum(step)).astype(np.int64)

    def _blocks(self) -> list[tuple[int, int, bool]]:
        """(start, stop, gap_before) of each block; blocks never straddle a marked gap."""
        n = self.take.samples.shape[0]
        cuts = sorted({0, n, *(g + 1 for g in self.take.gaps_after if 0 <= g < n - 1)})
        out = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            for start in range(a, b, self.block_samples):
                out.append((start, min(b, start + self.block_samples), start == a and a > 0))
        return out

    async def __aiter__(self) -> AsyncIterator[Item]:
        name = self.take.path.name if self.take.path else "take"
        yield LinkEvent("connected", f"replay of {name} at {'max speed' if self.speed is None else f'{self.speed:g}x'}",
                        info=self.info)
        samples = self.take.samples
        device = self._device_times()
        period = None if self.speed is None else 1.0 / (self.rate_hz * self.speed)
        start_time = time.monotonic()
        played = 0
        for seq, (a, b, gap_before) in enumerate(self._blocks()):
            if self._closed:
                return
            if gap_before:
                yield LinkEvent("lost", "gap marked in the recording")
                yield LinkEvent("connected", "recording continues after the gap", info=self.info)
            played += b - a
            if period is not None:
                delay = start_time + (played - 1) * period - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif seq % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            yield Block(samples[a:b], seq & 0xFFFF, int(device[a]) % _U32, time.monotonic())
