"""Sliding windows with a hop over a stream of samples at the model's source rate.

Samples land in one preallocated array; when it fills up, the last window's worth moves to the
front (a memmove per many hops, cheaper than a modular ring and it keeps every window contiguous,
so windows are views, never copies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """One window: ``samples`` (size, C) is a view valid until the next :meth:`WindowBuffer.push`."""

    samples: np.ndarray
    end_time: float  # device seconds of the last sample
    index: int  # window number since the stream started


class WindowBuffer:
    """Emits a window of ``size`` samples every ``hop`` samples once ``size`` have arrived."""

    def __init__(self, size: int, hop: int, channels: int, rate_hz: float) -> None:
        if size < 1 or hop < 1:
            raise ValueError("window size and hop must be at least 1 sample")
        self.size, self.hop, self.rate_hz = size, hop, float(rate_hz)
        self._buf = np.empty((max(4 * size, size + 1024), channels), np.float32)
        self.emitted = 0
        self._origin = 0.0
        self.clear()

    def clear(self) -> None:
        """Drop the partial window (a gap was not bridged); the next push starts a new grid."""
        self._len = 0
        self._total = 0
        self._next_end = self.size

    @property
    def filled(self) -> int:
        """Samples received since the grid (re)started."""
        return self._total

    @property
    def pending(self) -> int:
        """Samples still needed before the next window is complete."""
        return self._next_end - self._total

    def next_end_time(self) -> float:
        """Device time at which the next window will be complete (-inf before the grid starts)."""
        if self._total == 0:
            return -np.inf
        return self._origin + (self._next_end - 1) / self.rate_hz

    def push(self, values: np.ndarray, t_first: float) -> list[Window]:
        """Append samples (m, C), the first at device time ``t_first``; return completed windows."""
        windows: list[Window] = []
        if self._total == 0:
            self._origin = t_first
        cap = len(self._buf)
        pos = 0
        while pos < len(values):
            if self._len == cap:
                # Windows found earlier in this push point at data about to move: copy them out.
                windows = [Window(w.samples.copy(), w.end_time, w.index) for w in windows]
                self._buf[: self.size] = self._buf[cap - self.size :]
                self._len = self.size
            take = min(len(values) - pos, cap - self._len)
            self._buf[self._len : self._len + take] = values[pos : pos + take]
            self._len += take
            self._total += take
            pos += take
            while self._next_end <= self._total:
                end = self._len - (self._total - self._next_end)
                end_time = self._origin + (self._next_end - 1) / self.rate_hz
                windows.append(Window(self._buf[end - self.size : end], end_time, self.emitted))
                self.emitted += 1
                self._next_end += self.hop
        return windows
