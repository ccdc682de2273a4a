"""Serial wire format of one frame: ``COBS(payload + crc16_le(payload)) + 0x00`` (PROTOCOL.md section 2)."""

from __future__ import annotations

from edgehar.protocol.cobs import cobs_decode, cobs_encode
from edgehar.protocol.crc import crc16_ccitt_false
from edgehar.protocol.frame_error import FrameError
from edgehar.protocol.frames import MAX_PAYLOAD, Frame, encode_frame

CRC_SIZE = 2
#: Longest COBS packet (without delimiter) a valid frame produces; anything longer is garbage.
MAX_PACKET = MAX_PAYLOAD + CRC_SIZE + (MAX_PAYLOAD + CRC_SIZE) // 254 + 1
DELIMITER = b"\x00"


def serial_wrap(payload: bytes | bytearray | memoryview) -> bytes:
    """Wire bytes of one frame payload, delimiter included."""
    body = bytes(payload)
    crc = crc16_ccitt_false(body)
    return cobs_encode(body + bytes((crc & 0xFF, crc >> 8))) + DELIMITER


def frame_to_serial(frame: Frame) -> bytes:
    """Wire bytes of ``frame`` for a serial link."""
    return serial_wrap(encode_frame(frame))


def serial_unwrap(packet: bytes | bytearray | memoryview) -> bytes:
    """Payload of one COBS packet (bytes between two delimiters), CRC checked and removed."""
    if len(packet) > MAX_PACKET:
        raise FrameError("too_long", f"serial packet of {len(packet)} bytes exceeds {MAX_PACKET}")
    raw = cobs_decode(packet)
    if len(raw) < 1 + CRC_SIZE:
        raise FrameError("short", f"serial packet decodes to {len(raw)} bytes; a frame needs at least 3")
    body, crc_bytes = raw[:-CRC_SIZE], raw[-CRC_SIZE:]
    got = crc_bytes[0] | (crc_bytes[1] << 8)
    want = crc16_ccitt_false(body)
    if got != want:
        raise FrameError("crc", f"CRC mismatch: frame says 0x{got:04x}, bytes give 0x{want:04x}")
    return body
