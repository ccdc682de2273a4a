# edgehar wire protocol v1 encoder for MicroPython (firmware_bridge/PROTOCOL.md).
# The boards that run MicroPython cannot link the C codec from Python code without a custom
# firmware build, so this is a small pure-Python port of its sending half: DATA and CONFIG frames,
# CRC-16/CCITT-FALSE and COBS. Runs unchanged under CPython, where the tests check it against the
# shared vectors.
import struct

VERSION = 1
DATA = 0x11
CONFIG = 0x12
HEADER = 8
MAX_PAYLOAD = 512


def _crc_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_TABLE = _crc_table()


def crc16(data):
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, check("123456789") = 0x29B1."""
    crc = 0xFFFF
    table = _TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ b]
    return crc


def cobs(data):
    """COBS without the delimiter; a full 254-byte block is followed by a code byte."""
    out = bytearray(len(data) + len(data) // 254 + 1)
    code_at = 0
    write = 1
    code = 1
    for b in data:
        if b == 0:
            out[code_at] = code
            code = 1
            code_at = write
            write += 1
        else:
            out[write] = b
            write += 1
            code += 1
            if code == 0xFF:
                out[code_at] = code
                code = 1
                code_at = write
                write += 1
    out[code_at] = code
    return bytes(out[:write])


def serial_wrap(payload):
    """Wire bytes of one frame: COBS(payload + crc16 little-endian) + 0x00."""
    crc = crc16(payload)
    return cobs(bytes(payload) + bytes((crc & 0xFF, crc >> 8))) + b"\x00"


def data_frame(seq, t0_us, samples, n_channels):
    """DATA frame; samples is a flat sequence of n * n_channels int16 values, channel-interleaved."""
    n = len(samples) // n_channels
    if n < 1 or n > 255 or n * n_channels != len(samples) or HEADER + 2 * len(samples) > MAX_PAYLOAD:
        raise ValueError("bad sample count")
    return struct.pack("<BBHI", DATA, n, seq & 0xFFFF, t0_us & 0xFFFFFFFF) + struct.pack(
        "<%dh" % len(samples), *samples
    )


def _string(text, limit):
    raw = text.encode("utf-8")
    if len(raw) > limit:
        raise ValueError("string too long: " + text)
    return bytes((len(raw),)) + raw


def config_frame(rate_mhz, samples_per_frame, device_name, firmware, channels):
    """CONFIG frame; channels is a sequence of (label, unit, scale, range)."""
    parts = [
        struct.pack("<BBBBI", CONFIG, len(channels), samples_per_frame, 0, rate_mhz),
        _string(device_name, 31),
        _string(firmware, 31),
    ]
    for label, unit, scale, rng in channels:
        parts.append(_string(label, 15))
        parts.append(_string(unit, 15))
        parts.append(struct.pack("<ff", scale, rng))
    payload = b"".join(parts)
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("config too long")
    return payload
