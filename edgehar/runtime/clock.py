"""Device time to host time, following the drift between two crystals.

A board stamps frames with its own microsecond counter (32 bits, wraps every 71.6 minutes) whose
crystal runs some tens of ppm off the host's; arrival times on the host add transport jitter of
milliseconds. Like LSL's clock correction, the map is a running linear fit host = a + b * device
over the recent past (exponential forgetting), so it follows drift, averages jitter out, and gives
each sample a host timestamp and the pipeline a measure of how stale a sample is.
"""

from __future__ import annotations

import math
import time

# Host monotonic -> Unix time, fixed once so outputs stay consistent if the wall clock is stepped.
WALL_OFFSET = time.time() - time.monotonic()


def wall(monotonic_s: float) -> float:
    """Unix time of a ``time.monotonic()`` reading (microsecond resolution)."""
    return round(monotonic_s + WALL_OFFSET, 6)


# Seconds of signal to watch before trusting an estimated rate (Edge Impulse listens ~1 s).
RATE_WARMUP_S = 1.0


class RateEstimator:
    """The sample rate of a stream that does not declare one (text lines from a sketch).

    Like the Edge Impulse forwarder: count samples over at least a second, by device time when
    frames carry it, else by arrival time, then keep the estimate for the session.
    """

    def __init__(self, warmup_s: float = RATE_WARMUP_S) -> None:
        self.warmup_s = warmup_s
        self._first_time: float | None = None
        self._counted = 0
        self._last_n = 0

    def observe(self, n: int, stamp_s: float) -> float | None:
        """Add a block of ``n`` samples stamped ``stamp_s`` (its first sample); the rate once known."""
        if self._first_time is None:
            self._first_time, self._last_n = stamp_s, n
            return None
        self._counted += self._last_n
        self._last_n = n
        span = stamp_s - self._first_time
        if span < self.warmup_s or self._counted < 2:
            return None
        return self._counted / span


class ClockMap:
    """Exponentially weighted least-squares fit of host time against device time.

    ``tau_s`` is the memory in device seconds: long enough to average out jitter, short enough to
    follow temperature drift. Coordinates are centred on the first point so float64 keeps
    microseconds over days.
    """

    def __init__(self, tau_s: float = 30.0) -> None:
        self.tau_s = tau_s
        self.reset()

    def reset(self) -> None:
        self._x0: float | None = None
        self._y0 = 0.0
        self._last_x = 0.0
        self._sw = self._sx = self._sy = self._sxx = self._sxy = 0.0
        self._a, self._b = 0.0, 1.0

    @property
    def ready(self) -> bool:
        return self._x0 is not None

    def update(self, device_s: float, host_s: float) -> None:
        """Add one (device, host) pair: the arrival of a frame and its device stamp."""
        if self._x0 is None:
            self._x0, self._y0, self._last_x = device_s, host_s, device_s
        x, y = device_s - self._x0, host_s - self._y0
        if x > self._last_x:
            decay = math.exp(-(x - self._last_x) / self.tau_s)
            self._sw *= decay
            self._sx *= decay
            self._sy *= decay
            self._sxx *= decay
            self._sxy *= decay
            self._last_x = x
        self._sw += 1.0
        self._sx += x
        self._sy += y
        self._sxx += x * x
        self._sxy += x * y
        var = self._sw * self._sxx - self._sx * self._sx
        # Until the points span a few percent of tau, the slope is noise: assume equal rates.
        if var > (0.02 * self.tau_s) ** 2 * self._sw * self._sw:
            self._b = (self._sw * self._sxy - self._sx * self._sy) / var
        else:
            self._b = 1.0
        self._a = (self._sy - self._b * self._sx) / self._sw

    @property
    def rate_ratio(self) -> float:
        """Host seconds per device second (1 + drift)."""
        return self._b

    def to_host(self, device_s: float) -> float:
        """Host ``time.monotonic()`` at which a sample stamped ``device_s`` would arrive on average."""
        if self._x0 is None:
            raise ValueError("ClockMap.to_host before any update")
        return self._y0 + self._a + self._b * (device_s - self._x0)
