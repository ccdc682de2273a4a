"""The simulated device as a BLE peripheral: the edgehar GATT service and the Nordic UART Service.

DATA frames go to whichever the host subscribed to (edgehar data characteristic or NUS TX), one
frame per notification, sized from the MTU (PROTOCOL.md section 3.2). Text lines travel over NUS
TX in chunks of at most ``MTU - 3`` bytes. A notification longer than that is cut, as a real
stack does, so a host is tested against truncated frames too.
"""

from __future__ import annotations

from edgehar.protocol import (
    CONFIG_CHAR_UUID,
    CONTROL_CHAR_UUID,
    DATA_CHAR_UUID,
    EDGEHAR_SERVICE_UUID,
    NUS_RX_UUID,
    NUS_SERVICE_UUID,
    NUS_TX_UUID,
    ControlFrame,
    FrameError,
    decode_frame,
    samples_per_notification,
)
from edgehar.errors import EdgeharError
from edgehar.protocol.ble import ATT_NOTIFY_OVERHEAD
from edgehar.simulate.ble_peripheral import CharacteristicSpec, Peripheral, ServiceSpec
from edgehar.simulate.link import Link


class BleLink(Link):
    corrupt_mode = "ble"
    waits_for_host = True

    def __init__(
        self,
        name: str,
        adapter: str = "hci1",
        mtu: int = 247,
        offer: tuple[str, ...] = ("edgehar", "nus"),
        respect_mtu: bool = True,
    ) -> None:
        super().__init__()
        self.name = name
        self.respect_mtu = respect_mtu  # False plays firmware that ignores the MTU (frames get cut)
        self._subscribed_before = False
        services = []
        if "edgehar" in offer:
            services.append(ServiceSpec(EDGEHAR_SERVICE_UUID, [
                CharacteristicSpec(DATA_CHAR_UUID, ("notify",)),
                CharacteristicSpec(CONFIG_CHAR_UUID, ("read", "notify")),
                CharacteristicSpec(CONTROL_CHAR_UUID, ("write", "write-without-response"), self._on_control),
            ]))
        if "nus" in offer:
            services.append(ServiceSpec(NUS_SERVICE_UUID, [
                CharacteristicSpec(NUS_TX_UUID, ("notify",)),
                CharacteristicSpec(NUS_RX_UUID, ("write", "write-without-response"), self._on_control),
            ]))
        if not services:
            raise EdgeharError(f"BLE peripheral must offer edgehar and/or nus, got {offer}")
        self.peripheral = Peripheral(name, services, adapter=adapter, mtu=mtu)

    @property
    def address(self) -> str:
        return self.name

    def _on_control(self, value: bytes) -> None:
        try:
            frame = decode_frame(value)
        except FrameError:
            return  # a device ignores what it cannot read
        if isinstance(frame, ControlFrame):
            self._commands.append(frame)

    async def start(self) -> None:
        await self.peripheral.start()

    def _notifying(self, uuid: str) -> bool:
        char = self.peripheral.characteristics.get(uuid)
        return char is not None and bool(char.notifying)

    def has_host(self) -> bool:
        subscribed = self._notifying(DATA_CHAR_UUID) or self._notifying(NUS_TX_UUID)
        if subscribed and not self._subscribed_before:
            self.connection += 1
        self._subscribed_before = subscribed
        return subscribed

    def wrap(self, payload: bytes, binary: bool) -> bytes:
        return payload  # ATT frames each notification; no COBS, no CRC

    def samples_per_frame(self, channels: int, preferred: int) -> int:
        if not self.respect_mtu:
            return preferred
        return max(1, samples_per_notification(self.peripheral.mtu, channels, preferred))

    def set_config(self, payload: bytes) -> None:
        """The config characteristic's value (read by hosts at any MTU)."""
        char = self.peripheral.characteristics.get(CONFIG_CHAR_UUID)
        if char is not None:
            char.value = payload

    def _room(self) -> int:
        return self.peripheral.mtu - ATT_NOTIFY_OVERHEAD

    async def send(self, message: bytes, wait: bool) -> bool:
        room = self._room()
        sent = False
        if self._notifying(DATA_CHAR_UUID):
            sent = self.peripheral.notify(DATA_CHAR_UUID, message[:room]) or sent
        if self._notifying(NUS_TX_UUID):
            sent = self.peripheral.notify(NUS_TX_UUID, message[:room]) or sent
        return sent

    async def send_text(self, text: bytes, wait: bool) -> bool:
        """Text over NUS TX, cut into notifications that fit the MTU."""
        if not self._notifying(NUS_TX_UUID):
            return False
        room = self._room()
        for i in range(0, len(text), room):
            self.peripheral.notify(NUS_TX_UUID, text[i : i + room])
        return True

    async def send_config(self, payload: bytes) -> None:
        """Update the config value; notify it where it fits in one notification (PROTOCOL.md 3.1, 3.3)."""
        self.set_config(payload)
        if len(payload) <= self._room():
            if self._notifying(CONFIG_CHAR_UUID):
                self.peripheral.notify(CONFIG_CHAR_UUID, payload)
            if self._notifying(NUS_TX_UUID):
                self.peripheral.notify(NUS_TX_UUID, payload)

    async def drop_host(self) -> None:
        await self.peripheral.disconnect_centrals()
        self._subscribed_before = False

    async def close(self) -> None:
        await self.peripheral.stop()
