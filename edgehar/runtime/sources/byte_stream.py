"""Decoding of a byte-stream link (serial, TCP): edgehar binary frames or text lines, or detect which.

Serial reads return arbitrary chunks; this keeps the state between them and turns them into the
blocks and events a source yields. Detection looks at the first bytes: the binary framing ends
every frame with 0x00, which text never contains; text is printable ASCII split by newlines.
"""

from __future__ import annotations

from typing import Literal

from edgehar.errors import EdgeharError
from edgehar.protocol import ConfigFrame, StreamDecoder
from edgehar.runtime.sources.base import Block, Item, LinkEvent, StreamInfo
from edgehar.runtime.sources.frame_blocks import FrameBlocks
from edgehar.runtime.sources.text_lines import TextLineDecoder, default_text_info

Format = Literal["binary", "text", "auto"]
FORMATS: tuple[str, ...] = ("binary", "text", "auto")

_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}
#: Bytes looked at before deciding; enough for a few lines or frames even at startup noise.
DETECT_MIN_BYTES = 64
DETECT_MAX_BYTES = 2048


def detect_format(data: bytes) -> str | None:
    """"binary", "text", or None while the bytes seen so far do not tell."""
    if b"\x00" in data:
        return "binary"
    if len(data) < DETECT_MIN_BYTES and data.count(b"\n") < 3:
        return None
    texty = sum(1 for b in data if b in _TEXT_BYTES)
    if texty >= 0.95 * len(data) and b"\n" in data:
        return "text"
    if texty < 0.8 * len(data) or len(data) >= DETECT_MAX_BYTES:
        return "binary"
    return None


class ByteStreamDecoder:
    """Chunks in, items out, for one link that may be reopened (:meth:`reset`) many times.

    ``text_info`` names the channels and units of text lines (and their rate, if known); without
    it they come from :func:`default_text_info`, with ``text_rate_hz`` if the user gave a rate.
    ``fallback`` is a CONFIG to assume for binary frames when the device never sends one.
    """

    def __init__(
        self,
        fmt: str = "auto",
        text_info: StreamInfo | None = None,
        fallback: ConfigFrame | None = None,
        text_rate_hz: float | None = None,
    ) -> None:
        if fmt not in FORMATS:
            raise EdgeharError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        self.format: str | None = None if fmt == "auto" else fmt
        self.text_info = text_info
        self.text_rate_hz = text_rate_hz
        self.frames = FrameBlocks(fallback)
        self._binary = StreamDecoder()
        self._text = TextLineDecoder(len(text_info.channels) if text_info else None)
        self._text_announced = False
        self._undecided = bytearray()
        self._reported_corrupt = 0

    @property
    def waiting_for_config(self) -> bool:
        """True while binary frames arrive (or may) without a CONFIG to read them with."""
        return self.format != "text" and self.frames.waiting_for_config

    def reset(self) -> None:
        """The link was reopened: partial frames or lines from before are garbage now."""
        self._binary = StreamDecoder(channels=self.frames.channels)
        self._reported_corrupt = 0
        self._text.reset()
        self._text_announced = False
        self._undecided.clear()
        self.frames.reset()

    def feed(self, chunk: bytes, host_time: float) -> list[Item]:
        """Items completed by ``chunk``, received at ``host_time`` (``time.monotonic()``)."""
        if self.format is None:
            self._undecided += chunk
            decided = detect_format(bytes(self._undecided))
            if decided is None:
                return []
            self.format = decided
            chunk, self._undecided = bytes(self._undecided), bytearray()
            items: list[Item] = [LinkEvent("info", f"detected {decided} format")]
        else:
            items = []
        if self.format == "binary":
            items += self._feed_binary(chunk, host_time)
        else:
            items += self._feed_text(chunk, host_time)
        return items

    def _feed_binary(self, chunk: bytes, host_time: float) -> list[Item]:
        items: list[Item] = []
        for frame in self._binary.feed(chunk):
            items += self.frames.frame(frame, host_time)
        stats = self._binary.stats
        bad = stats.corrupt + stats.unsupported
        if bad > self._reported_corrupt:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(stats.reasons.items()))
            items.append(LinkEvent("corrupt", f"frames dropped so far: {reasons}", count=bad - self._reported_corrupt))
            self._reported_corrupt = bad
        return items

    def _feed_text(self, chunk: bytes, host_time: float) -> list[Item]:
        items: list[Item] = []
        before = self._text.corrupt
        rows = self._text.feed(chunk)
        if self._text.corrupt > before:
            items.append(LinkEvent("corrupt", "unreadable text lines", count=self._text.corrupt - before))
        for message in self._text.messages:
            items.append(LinkEvent("info", f"device says: {message}"))
        self._text.messages.clear()
        if len(rows):
            if not self._text_announced:
                info = self.text_info or default_text_info(rows.shape[1], self.text_rate_hz)
                items.append(LinkEvent("connected", f"text lines, {rows.shape[1]} columns", info=info))
                self._text_announced = True
            items.append(Block(rows, None, None, host_time))
        return items
