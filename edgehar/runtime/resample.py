"""Streaming resampling from the device's sample times onto the model's uniform grid.

Boards rarely run at the model's rate (an LSM9DS1 at 119 Hz, a BMI270 at 99.84 Hz, a model
trained at 50 Hz), and frames get lost. Samples carry their own times, so the output grid is laid
in device seconds and filled by linear interpolation between the neighbouring input samples, the
same interpolation the training clips got. Gaps longer than ``max_gap_s`` are not bridged: the
grid restarts after them, and the caller drops its partial window.
"""

from __future__ import annotations

import numpy as np


class StreamResampler:
    """Turns timestamped chunks into samples at ``rate_hz``; keeps one input sample of history."""

    def __init__(self, rate_hz: float, channels: int, max_gap_s: float) -> None:
        self.rate_hz = float(rate_hz)
        self.max_gap_s = float(max_gap_s)
        self._channels = channels
        self.restarts = 0
        self.reset()

    def reset(self) -> None:
        """Start a new grid at the next input sample (after a gap, a restart or a lost link)."""
        self._origin: float | None = None
        self._count = 0
        self._prev_t: np.ndarray | None = None
        self._prev_x: np.ndarray | None = None

    def push(self, t: np.ndarray, x: np.ndarray) -> list[tuple[bool, np.ndarray, float]]:
        """Add input times ``t`` (n,) and values ``x`` (n, C) in increasing time.

        Returns, in order, segments ``(False, samples (m, C) float32, device time of the first)``
        and restart markers ``(True, empty, device time of the new grid origin)`` where a gap was
        not bridged, so the caller knows where to drop its partial window.
        """
        out: list[tuple[bool, np.ndarray, float]] = []
        if len(t) == 0:
            return out
        if self._prev_t is not None:
            t = np.concatenate((self._prev_t, t))
            x = np.concatenate((self._prev_x, x))
        steps = np.diff(t)
        start = 0
        for b in np.flatnonzero((steps > self.max_gap_s) | (steps <= 0.0)):
            self._emit(t[start : b + 1], x[start : b + 1], out)
            self.reset()
            self.restarts += 1
            start = b + 1
            out.append((True, np.empty((0, self._channels), np.float32), float(t[start])))
        self._emit(t[start:], x[start:], out)
        return out

    def _emit(self, t: np.ndarray, x: np.ndarray, out: list) -> None:
        """Interpolate grid points within [t[0], t[-1]] and remember the last input sample."""
        if self._origin is None:
            self._origin = float(t[0])
            self._count = 0
        self._prev_t, self._prev_x = t[-1:].copy(), x[-1:].copy()
        period = 1.0 / self.rate_hz
        first = self._origin + self._count * period
        # Small tolerance so a grid point that coincides with the last sample is not lost to rounding.
        n = int(np.floor((t[-1] - first) * self.rate_hz + 1e-9)) + 1
        if n <= 0:
            return
        grid = first + np.arange(n) * period
        if len(t) == 1:
            values = np.repeat(x[:1], n, axis=0)
        else:
            idx = np.searchsorted(t, grid, side="right") - 1
            np.clip(idx, 0, len(t) - 2, out=idx)
            t_lo = t[idx]
            w = ((grid - t_lo) / (t[idx + 1] - t_lo))[:, None]
            x_lo = x[idx]
            values = x_lo + w * (x[idx + 1] - x_lo)
        self._count += n
        out.append((False, values.astype(np.float32, copy=False), float(grid[0])))
