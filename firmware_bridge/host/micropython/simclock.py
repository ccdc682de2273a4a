"""Simulated microsecond clock for the MicroPython stand-ins, with MicroPython's ticks semantics:
ticks_us() wraps at 2^30 and ticks_diff() undoes the wrap."""

from __future__ import annotations

TICKS_PERIOD = 1 << 30
DEVICES: list = []
_now = 0
_offset = 0
_deadline: int | None = None


class Deadline(Exception):
    """Raised by the clock when the simulated run is over, to leave the firmware's endless loop."""


def configure(offset_us: int, seconds: float) -> None:
    global _offset, _deadline
    _offset = offset_us
    _deadline = int(seconds * 1e6)


def now_us() -> int:
    return _now


def advance_us(us: int) -> None:
    global _now
    _now += us
    if _deadline is not None and _now >= _deadline:
        raise Deadline


def ticks_us() -> int:
    advance_us(5)
    return (_offset + _now) % TICKS_PERIOD


def ticks_diff(a: int, b: int) -> int:
    return ((a - b + TICKS_PERIOD // 2) % TICKS_PERIOD) - TICKS_PERIOD // 2


def sleep_us(us: int) -> None:
    advance_us(us)


def sleep_ms(ms: int) -> None:
    advance_us(ms * 1000)
