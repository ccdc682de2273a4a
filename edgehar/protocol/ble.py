"""BLE constants of the protocol (PROTOCOL.md section 3) and the MTU-to-batch-size rule.

A notification longer than ``ATT_MTU - 3`` is silently truncated, so the device sizes DATA frames
from the negotiated MTU, and the host uses the same rule to know what to expect.
"""

from __future__ import annotations

from edgehar.protocol.frames import HEADER_SIZE, MAX_PAYLOAD

EDGEHAR_SERVICE_UUID = "45000001-72be-4242-9c02-70a09c5f7734"
DATA_CHAR_UUID = "45000002-72be-4242-9c02-70a09c5f7734"
CONFIG_CHAR_UUID = "45000003-72be-4242-9c02-70a09c5f7734"
CONTROL_CHAR_UUID = "45000004-72be-4242-9c02-70a09c5f7734"

NUS_SERVICE_UUID = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX_UUID = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
NUS_TX_UUID = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"

ATT_NOTIFY_OVERHEAD = 3
DEFAULT_ATT_MTU = 23
DEFAULT_SAMPLES_PER_FRAME = 5


def samples_per_notification(att_mtu: int, channels: int, preferred: int = DEFAULT_SAMPLES_PER_FRAME) -> int:
    """``min(preferred, floor((mtu - 3 - 8) / (2 C)), 255)``; 0 means the channels do not fit."""
    room = min(att_mtu - ATT_NOTIFY_OVERHEAD, MAX_PAYLOAD) - HEADER_SIZE
    return max(0, min(preferred, room // (2 * channels), 255))
