"""The error a protocol decoder raises, with a machine-readable reason for the receiver's counters."""

from __future__ import annotations

from typing import Literal

from edgehar.errors import EdgeharError

Reason = Literal["cobs", "short", "too_long", "crc", "version", "type", "length"]

#: Reasons that mean "well formed, but not for this receiver" rather than damage on the link.
UNSUPPORTED_REASONS: frozenset[str] = frozenset({"version", "type"})


class FrameError(EdgeharError):
    """A frame that a receiver must drop (PROTOCOL.md section 4).

    It is an :class:`EdgeharError` so that a user decoding a damaged recording gets one clear line,
    while stream decoders catch it and count ``reason`` instead of stopping.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
