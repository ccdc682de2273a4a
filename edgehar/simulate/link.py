"""What a simulated device needs from a transport: send bytes, hear commands, lose the host.

Implemented by a pseudo-terminal (a USB serial port), a TCP server (a Wi-Fi serial bridge) and a
BLE peripheral. ``connection`` counts host connections, so the device can send its CONFIG frame
after each one as firmware does.
"""

from __future__ import annotations

import abc

from edgehar.protocol import DEVICE_ACCEPTS, ControlFrame, StreamDecoder, serial_wrap


class Link(abc.ABC):
    """One transport of the simulator."""

    #: How ``--corrupt`` damages a binary message on this transport (see ``faults``).
    corrupt_mode = "serial"
    #: BLE devices start streaming on subscription; serial boards from power-up.
    waits_for_host = False

    def __init__(self) -> None:
        self.connection = 0
        self.overflows = 0
        self._control = StreamDecoder(accept=DEVICE_ACCEPTS)
        self._commands: list[ControlFrame] = []

    @property
    @abc.abstractmethod
    def address(self) -> str:
        """What a host passes to ``edgehar stream`` to reach this device."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Make the device reachable."""

    @abc.abstractmethod
    def has_host(self) -> bool:
        """Whether a message sent now can reach a host."""

    @abc.abstractmethod
    async def send(self, message: bytes, wait: bool) -> bool:
        """Send one wire message; with ``wait`` False a full buffer drops it (returns False)."""

    @abc.abstractmethod
    async def drop_host(self) -> None:
        """Lose the connection (unplug, link loss); the host must reconnect."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release everything."""

    def wrap(self, payload: bytes, binary: bool) -> bytes:
        """Wire bytes of one frame (binary) or chunk of text; serial links add COBS + CRC."""
        return serial_wrap(payload) if binary else payload

    async def send_text(self, text: bytes, wait: bool) -> bool:
        """Send CSV lines (already faulted); byte-stream links send them as they are."""
        return await self.send(text, wait)

    async def send_config(self, payload: bytes) -> None:
        """Send a CONFIG frame; byte-stream links put a lone 0x00 first so the host drops any
        partial frame it holds (PROTOCOL.md section 2)."""
        await self.send(b"\x00" + self.wrap(payload, True), wait=True)

    def samples_per_frame(self, channels: int, preferred: int) -> int:
        """Samples per DATA frame; BLE derives it from the negotiated MTU."""
        return preferred

    def received(self, data: bytes) -> None:
        """Bytes from the host on a byte-stream link: CONTROL frames in serial framing."""
        for frame in self._control.feed(data):
            if isinstance(frame, ControlFrame):
                self._commands.append(frame)

    def commands(self) -> list[ControlFrame]:
        """CONTROL frames received since the last call."""
        out, self._commands = self._commands, []
        return out
