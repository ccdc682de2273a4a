"""Text-line samples, as the Edge Impulse data forwarder reads them: one sample per line.

Values are separated by commas, tabs or spaces; ``\\r\\n`` works; a line starting with ``ERR`` is a
device message, not data. A leading label such as ``a/g:`` (i2cdevlib's MPU6050 example) is
skipped. The column count is taken from the stream itself: the first line after connecting is
usually cut (the host joined mid-line), so it is dropped silently when it disagrees with the next.
"""

from __future__ import annotations

import math
import re

import numpy as np

from edgehar.runtime.sources.base import StreamInfo

_SEPARATORS = re.compile(r"[,\t ]+")
#: Longer than any sample line; past it the bytes are noise (a binary stream, a wrong baud rate).
MAX_LINE_BYTES = 1024

_DEFAULT_LAYOUTS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    3: (("acc_x", "acc_y", "acc_z"), ("g",) * 3),
    6: (("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), ("g",) * 3 + ("deg/s",) * 3),
    9: (
        ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y", "mag_z"),
        ("g",) * 3 + ("deg/s",) * 3 + ("uT",) * 3,
    ),
}


def default_text_info(columns: int, rate_hz: float | None = None) -> StreamInfo:
    """Channel names and units assumed for a text stream whose user gave none.

    Arduino's IMU libraries print g and deg/s (``readAcceleration``/``readGyroscope``), so 3, 6
    and 9 columns are read as accelerometer, + gyroscope, + magnetometer in those units; other
    counts get neutral names and no unit, which the pipeline then refuses to convert.
    """
    channels, units = _DEFAULT_LAYOUTS.get(
        columns, (tuple(f"ch{i}" for i in range(columns)), ("",) * columns)
    )
    return StreamInfo(channels=channels, units=units, rate_hz=rate_hz)


def parse_line(line: str) -> list[float] | None:
    """Numbers of one sample line, or None when it is not one (text, NaN, empty)."""
    tokens = [t for t in _SEPARATORS.split(line.strip()) if t]
    if tokens and tokens[0].endswith(":"):
        tokens = tokens[1:]
    if not tokens:
        return None
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    return values


class TextLineDecoder:
    """Bytes in, (k, C) float32 rows out; counts lines it had to drop.

    ``columns`` fixes the column count (from the user's channel list); otherwise it is learnt from
    the first two consecutive lines that agree. ``messages`` collects ``ERR`` lines for the caller.
    """

    def __init__(self, columns: int | None = None) -> None:
        self.fixed_columns = columns
        self.columns = columns
        self.corrupt = 0
        self.messages: list[str] = []
        self._partial = bytearray()
        self._discarding = False
        self._first_line = True
        self._candidate: list[float] | None = None
        self._candidate_was_first = False

    def reset(self) -> None:
        """Forget the partial line (the link was reopened; the next line may be cut again)."""
        self._partial.clear()
        self._discarding = False
        self._first_line = True
        self._candidate = None
        self.columns = self.fixed_columns

    def feed(self, chunk: bytes) -> np.ndarray:
        """Rows completed by ``chunk`` (possibly (0, C)); never raises on malformed input."""
        rows: list[list[float]] = []
        pieces = bytes(chunk).split(b"\n")
        for i, piece in enumerate(pieces):
            if self._discarding:
                if i < len(pieces) - 1:
                    self._discarding = False
                continue
            self._partial += piece
            if len(self._partial) > MAX_LINE_BYTES:
                self._partial.clear()
                self.corrupt += 1
                self._discarding = i == len(pieces) - 1
                self._first_line = False
                continue
            if i == len(pieces) - 1:
                break
            line = self._partial.decode("utf-8", errors="replace")
            self._partial.clear()
            self._take(line, rows)
        width = self.columns or 0
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), width)

    def _take(self, line: str, rows: list[list[float]]) -> None:
        first, self._first_line = self._first_line, False
        stripped = line.strip()
        if not stripped:
            return
        if stripped.startswith("ERR"):
            self.messages.append(stripped)
            return
        values = parse_line(stripped)
        if values is None:
            if not first:
                self.corrupt += 1
            return
        if self.columns is None:
            # Learn the width from two consecutive agreeing lines; a lone odd first line is the
            # tail of a line sent before we connected.
            if self._candidate is not None and len(self._candidate) == len(values):
                self.columns = len(values)
                rows.append(self._candidate)
                rows.append(values)
                self._candidate = None
                return
            if self._candidate is not None and not self._candidate_was_first:
                self.corrupt += 1
            self._candidate, self._candidate_was_first = values, first
            return
        if len(values) != self.columns:
            if not first:
                self.corrupt += 1
            return
        rows.append(values)
