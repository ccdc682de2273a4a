"""Seeded fault injection on the messages a simulated device sends.

Each fault mimics a real failure: ``drop`` a lost notification or an overflowing UART buffer,
``duplicate`` BlueZ re-delivering after a reconnect, ``corrupt`` line noise (serial: a flipped
byte, which the CRC catches; BLE: a notification cut to the MTU; text: a garbled character),
``reorder`` two frames swapped in a host's queue. The same seed gives the same faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from edgehar.errors import EdgeharError

CorruptMode = Literal["serial", "ble", "text"]


@dataclass(frozen=True)
class FaultRates:
    drop: float = 0.0
    duplicate: float = 0.0
    corrupt: float = 0.0
    reorder: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop", "duplicate", "corrupt", "reorder"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise EdgeharError(f"--{name} must be a probability between 0 and 1, got {value}")

    @property
    def any(self) -> bool:
        return any((self.drop, self.duplicate, self.corrupt, self.reorder))


@dataclass
class FaultCounts:
    sent: int = 0
    dropped: int = 0
    duplicated: int = 0
    corrupted: int = 0
    reordered: int = 0


class FaultInjector:
    """``apply(message)`` returns what to send now (zero, one or more messages, maybe reordered)."""

    def __init__(self, rates: FaultRates, mode: CorruptMode) -> None:
        self.rates = rates
        self.mode = mode
        self.counts = FaultCounts()
        self._rng = random.Random(rates.seed)
        self._held: bytes | None = None

    def apply(self, message: bytes) -> list[bytes]:
        rng, rates = self._rng, self.rates
        if not rates.any:
            self.counts.sent += 1
            return [message]
        if rng.random() < rates.drop:
            self.counts.dropped += 1
            return self.flush()
        if rng.random() < rates.corrupt:
            message = self._corrupt(message)
            self.counts.corrupted += 1
        out = [message]
        if rng.random() < rates.duplicate:
            out.append(message)
            self.counts.duplicated += 1
        if self._held is not None:
            out.append(self._held)  # the held message goes after this one: swapped
            self._held = None
        elif rng.random() < rates.reorder:
            self._held = out.pop(0)
            self.counts.reordered += 1
        self.counts.sent += len(out)
        return out

    def flush(self) -> list[bytes]:
        """Release a message held back for reordering (at a disconnect or the end)."""
        held, self._held = self._held, None
        if held is None:
            return []
        self.counts.sent += 1
        return [held]

    def _corrupt(self, message: bytes) -> bytes:
        data = bytearray(message)
        if self.mode == "ble":
            return bytes(data[: self._rng.randrange(1, len(data))]) if len(data) > 1 else b""
        if self.mode == "text":
            positions = [i for i, b in enumerate(data) if b not in (0x0A, 0x0D)]
            if positions:
                data[self._rng.choice(positions)] = ord("#")
            return bytes(data)
        # serial: flip bits of one byte of the COBS body (not the delimiter)
        if len(data) > 1:
            i = self._rng.randrange(0, len(data) - 1)
            data[i] ^= self._rng.randrange(1, 256)
        return bytes(data)
