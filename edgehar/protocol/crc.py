"""CRC-16/CCITT-FALSE, the checksum the serial transport appends to every frame.

COBS finds frame boundaries but cannot tell a damaged frame from a good one; this CRC can.
Parameters: poly 0x1021, init 0xFFFF, no reflection, xorout 0, check("123456789") = 0x29B1.
"""

from __future__ import annotations

CRC16_INIT = 0xFFFF


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE = _make_table()


def crc16_ccitt_false(data: bytes | bytearray | memoryview, crc: int = CRC16_INIT) -> int:
    """CRC of ``data``; pass a previous result as ``crc`` to continue over several pieces."""
    table = _TABLE
    for byte in bytes(data):
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc
