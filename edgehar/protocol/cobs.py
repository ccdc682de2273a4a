"""Consistent Overhead Byte Stuffing: removes every 0x00 so that 0x00 can delimit serial frames.

Standard COBS (Cheshire & Baker), blocks of at most 254 data bytes, no trailing zero added. Works on
whole blocks with ``bytes`` operations instead of byte loops, which matters at 100+ frames/s.
"""

from __future__ import annotations

from edgehar.protocol.frame_error import FrameError


def cobs_encode(data: bytes | bytearray | memoryview) -> bytes:
    """Encode ``data``; the result contains no 0x00 and is at most ``len + ceil(len/254) + 1`` long."""
    out = bytearray()
    for chunk in bytes(data).split(b"\x00"):
        # A zero-free run longer than 254 bytes becomes several 0xFF blocks with no implied zero.
        while len(chunk) >= 254:
            out.append(0xFF)
            out += chunk[:254]
            chunk = chunk[254:]
        out.append(len(chunk) + 1)
        out += chunk
    return bytes(out)


def cobs_decode(data: bytes | bytearray | memoryview) -> bytes:
    """Decode one COBS block sequence (without the 0x00 delimiter).

    Raises :class:`FrameError` (reason ``cobs``) when the input contains 0x00 or a code byte
    points past the end, the two ways a damaged packet shows up.
    """
    src = bytes(data)
    if b"\x00" in src:
        raise FrameError("cobs", "COBS packet contains a 0x00 byte")
    out = bytearray()
    i = 0
    end = len(src)
    while i < end:
        code = src[i]
        nxt = i + code
        if nxt > end:
            raise FrameError("cobs", f"COBS code byte at offset {i} points past the end of the packet")
        out += src[i + 1 : nxt]
        i = nxt
        if code != 0xFF and i < end:
            out.append(0)
    return bytes(out)
