"""Unwraps the 32-bit microsecond device clock of DATA frames into a monotonic 64-bit count.

``t0_us`` wraps every 71.6 minutes; a runtime that fits host time to device time across hours of
streaming needs the unwrapped value.
"""

from __future__ import annotations

CLOCK_MODULO = 1 << 32


class DeviceTimeUnwrapper:
    """Feed ``t0_us`` values in arrival order; returns microseconds since the first one's epoch."""

    def __init__(self) -> None:
        self._last_raw: int | None = None
        self._offset = 0

    def reset(self) -> None:
        """Start over (the device restarted or the link was re-established)."""
        self._last_raw = None
        self._offset = 0

    def unwrap(self, t0_us: int) -> int:
        """64-bit device time of ``t0_us``.

        A forward step (modulo 2^32) of less than half the range that lands below the previous raw
        value is a wrap; a larger step is a late frame, placed before the reference without moving it.
        """
        last = self._last_raw
        if last is not None:
            step = (t0_us - last) % CLOCK_MODULO
            if step >= CLOCK_MODULO // 2:
                return self._offset + t0_us - (CLOCK_MODULO if t0_us > last else 0)
            if t0_us < last:
                self._offset += CLOCK_MODULO
        self._last_raw = t0_us
        return self._offset + t0_us
