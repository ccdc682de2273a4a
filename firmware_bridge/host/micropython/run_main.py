"""Runs the MicroPython firmware's main.py under CPython for a few simulated seconds.

Usage: python run_main.py FIRMWARE_DIR OUT_FILE SECONDS [TICKS_OFFSET_US]
Puts the stand-in ``machine`` module first on the path, gives ``time`` MicroPython's ticks
functions on the simulated clock, and collects what main.py writes to sys.stdout.buffer.
"""

from __future__ import annotations

import io
import runpy
import sys
import time
from pathlib import Path


class _Stdout:
    """sys.stdout as MicroPython has it: text writes plus a binary ``buffer``."""

    def __init__(self, buffer: io.BytesIO) -> None:
        self.buffer = buffer

    def write(self, text: str) -> int:
        return self.buffer.write(text.encode())

    def flush(self) -> None:
        pass


def main() -> int:
    firmware, out_path, seconds = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    offset = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(firmware)]
    import simclock

    simclock.configure(offset, seconds)
    time.ticks_us = simclock.ticks_us
    time.ticks_diff = simclock.ticks_diff
    time.sleep_us = simclock.sleep_us
    time.sleep_ms = simclock.sleep_ms
    captured = io.BytesIO()
    real_stdout = sys.stdout
    sys.stdout = _Stdout(captured)
    try:
        runpy.run_path(str(firmware / "main.py"), run_name="__main__")
    except simclock.Deadline:
        pass
    finally:
        sys.stdout = real_stdout
    out_path.write_bytes(captured.getvalue())
    mpu = simclock.DEVICES[0]
    print(f"mpu6050 accel_config={mpu.regs[0x1C]} gyro_config={mpu.regs[0x1B]} rate_hz={mpu.rate():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
