"""Incremental decoder for serial links: bytes in, whole frames out, garbage counted and skipped.

Serial reads return arbitrary chunks: half a frame, three frames, line noise from a board's boot
messages. The decoder keeps the unfinished packet between calls, resynchronises on every 0x00, and
turns each damaged packet into a counter so the stream never stops on one bad byte.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from edgehar.protocol.frame_error import UNSUPPORTED_REASONS, FrameError
from edgehar.protocol.frames import ConfigFrame, Frame, FrameType, decode_frame, frame_type
from edgehar.protocol.serial_framing import MAX_PACKET, serial_unwrap

HOST_ACCEPTS = frozenset({FrameType.DATA, FrameType.CONFIG})
DEVICE_ACCEPTS = frozenset({FrameType.CONTROL})


@dataclass
class DecoderStats:
    """Counters of PROTOCOL.md section 4; ``corrupt`` includes ``bad_crc`` and length errors."""

    frames: int = 0
    corrupt: int = 0
    bad_crc: int = 0
    unsupported: int = 0
    reasons: Counter = field(default_factory=Counter)


class StreamDecoder:
    """Feed it any byte chunks; it returns the frames completed by each chunk.

    ``channels`` is the channel count DATA frames must have; it follows the last CONFIG frame
    decoded (None until then: inferred from each DATA frame's length). ``accept`` lists the frame
    types this side of the link takes; others count as ``unsupported``.
    """

    def __init__(self, channels: int | None = None, accept: frozenset[FrameType] = HOST_ACCEPTS) -> None:
        self.channels = channels
        self.accept = accept
        self.stats = DecoderStats()
        self._pending = bytearray()
        self._discarding = False

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[Frame]:
        """Frames completed by ``chunk``, in order; never raises on malformed input."""
        frames: list[Frame] = []
        parts = bytes(chunk).split(b"\x00")
        last = len(parts) - 1
        for i, part in enumerate(parts):
            if self._discarding:
                # Inside an over-long packet: skip until its delimiter, already counted once.
                if i < last:
                    self._discarding = False
                continue
            self._pending += part
            if len(self._pending) > MAX_PACKET:
                self._pending.clear()
                self._count(FrameError("too_long", "serial packet longer than any valid frame"))
                self._discarding = i == last
                continue
            if i < last and self._pending:
                packet = bytes(self._pending)
                self._pending.clear()
                frame = self._decode(packet)
                if frame is not None:
                    frames.append(frame)
        return frames

    def _decode(self, packet: bytes) -> Frame | None:
        try:
            frame = decode_frame(serial_unwrap(packet), self.channels)
            ftype = frame_type(frame)
            if ftype not in self.accept:
                raise FrameError("type", f"{ftype.name} frame is not expected on this side of the link")
        except FrameError as err:
            self._count(err)
            return None
        if isinstance(frame, ConfigFrame):
            self.channels = len(frame.channels)
        self.stats.frames += 1
        return frame

    def _count(self, err: FrameError) -> None:
        self.stats.reasons[err.reason] += 1
        if err.reason in UNSUPPORTED_REASONS:
            self.stats.unsupported += 1
            return
        self.stats.corrupt += 1
        if err.reason == "crc":
            self.stats.bad_crc += 1
