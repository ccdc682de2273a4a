"""A BLE peripheral published through BlueZ's D-Bus API (GattManager1 + LEAdvertisingManager1).

The same code drives a real adapter on a Linux machine with bluetoothd and the emulated BlueZ bus
(BlueZoo) the tests use, so the simulator is a real GATT server from bleak's point of view.
dbus-fast comes with bleak on Linux and is imported only when a peripheral is started.

No ``from __future__ import annotations`` here: dbus-fast reads D-Bus signatures from the
annotation strings of the exported methods and properties.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Callable, Optional

from edgehar.errors import EdgeharError

BLUEZ = "org.bluez"
APP_PATH = "/org/edgehar/sim"


@dataclass
class CharacteristicSpec:
    """One characteristic: its UUID, BlueZ flags, and who handles writes from the central."""

    uuid: str
    flags: tuple[str, ...]
    on_write: Optional[Callable[[bytes], None]] = None
    value: bytes = b""


@dataclass
class ServiceSpec:
    uuid: str
    characteristics: list[CharacteristicSpec] = field(default_factory=list)


def _interfaces():
    """Build the D-Bus interface classes lazily, so importing this module needs no dbus-fast."""
    from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

    class Service(ServiceInterface):
        def __init__(self, uuid: str):
            super().__init__("org.bluez.GattService1")
            self.uuid = uuid

        @dbus_property(access=PropertyAccess.READ)
        def UUID(self) -> "s":  # noqa: F821
            return self.uuid

        @dbus_property(access=PropertyAccess.READ)
        def Primary(self) -> "b":  # noqa: F821
            return True

    class Characteristic(ServiceInterface):
        """GattCharacteristic1 of a local application; ``notify`` pushes a value to subscribers."""

        def __init__(self, spec: CharacteristicSpec, service_path: str, peripheral: "Peripheral"):
            super().__init__("org.bluez.GattCharacteristic1")
            self.spec = spec
            self.service_path = service_path
            self.peripheral = peripheral
            self.value = spec.value
            self.notifying = False

        def notify(self, value: bytes) -> None:
            self.value = value
            if self.notifying:
                self.emit_properties_changed({"Value": value})

        @dbus_property(access=PropertyAccess.READ)
        def UUID(self) -> "s":  # noqa: F821
            return self.spec.uuid

        @dbus_property(access=PropertyAccess.READ)
        def Service(self) -> "o":  # noqa: F821
            return self.service_path

        @dbus_property(access=PropertyAccess.READ)
        def Flags(self) -> "as":  # noqa: F821
            return list(self.spec.flags)

        @dbus_property(access=PropertyAccess.READ)
        def Value(self) -> "ay":  # noqa: F821
            return self.value

        @dbus_property(access=PropertyAccess.READ)
        def Notifying(self) -> "b":  # noqa: F821
            return self.notifying

        @dbus_property(access=PropertyAccess.READ)
        def MTU(self) -> "q":  # noqa: F821
            return self.peripheral.mtu

        @method()
        def ReadValue(self, options: "a{sv}") -> "ay":  # noqa: F821
            self.peripheral.learn_mtu(options)
            return self.value

        @method()
        def WriteValue(self, value: "ay", options: "a{sv}"):  # noqa: F821
            self.peripheral.learn_mtu(options)
            if self.spec.on_write is not None:
                self.spec.on_write(bytes(value))

        @method()
        def StartNotify(self):
            self.notifying = True
            self.peripheral.subscribed.set()

        @method()
        def StopNotify(self):
            self.notifying = False
            if not any(c.notifying for c in self.peripheral.characteristics.values()):
                self.peripheral.subscribed.clear()

        @method()
        def Confirm(self):
            # BlueZoo confirms every value change; a real BlueZ only indications. Nothing to do.
            return

    class Advertisement(ServiceInterface):
        def __init__(self, name: str, uuids: list[str]):
            super().__init__("org.bluez.LEAdvertisement1")
            self.local_name = name  # not ``name``: ServiceInterface keeps the interface name there
            self.uuids = uuids

        @dbus_property(access=PropertyAccess.READ)
        def Type(self) -> "s":  # noqa: F821
            return "peripheral"

        @dbus_property(access=PropertyAccess.READ)
        def ServiceUUIDs(self) -> "as":  # noqa: F821
            return self.uuids

        @dbus_property(access=PropertyAccess.READ)
        def LocalName(self) -> "s":  # noqa: F821
            return self.local_name

        @dbus_property(access=PropertyAccess.READ)
        def Discoverable(self) -> "b":  # noqa: F821
            return True  # without it BlueZoo never reports the device

        @method()
        def Release(self):
            return

    return Service, Characteristic, Advertisement


class Peripheral:
    """A connectable, advertising GATT server on one adapter (``hci1`` by default).

    ``mtu`` is the ATT MTU the frames are sized for: BlueZ passes the negotiated value in the
    options of reads and writes, which updates it; it starts at ``mtu``.
    """

    def __init__(self, name: str, services: list[ServiceSpec], adapter: str = "hci1", mtu: int = 247):
        self.name = name
        self.services = services
        self.adapter_path = f"/org/bluez/{adapter}"
        self.mtu = mtu
        self.characteristics: dict[str, object] = {}
        self.subscribed = asyncio.Event()
        self._bus = None

    def learn_mtu(self, options: dict) -> None:
        mtu = options.get("mtu")
        if mtu is not None:
            self.mtu = int(mtu.value)

    async def start(self) -> None:
        """Connect to the system bus, register the GATT application and start advertising."""
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus
        from dbus_fast.errors import DBusError

        service_cls, char_cls, adv_cls = _interfaces()
        try:
            self._bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        except (OSError, ValueError) as exc:
            raise EdgeharError(f"BLE peripheral: cannot reach the system D-Bus ({exc})") from exc
        for i, service in enumerate(self.services):
            service_path = f"{APP_PATH}/service{i}"
            self._bus.export(service_path, service_cls(service.uuid))
            for j, spec in enumerate(service.characteristics):
                char = char_cls(spec, service_path, self)
                self._bus.export(f"{service_path}/char{j}", char)
                self.characteristics[spec.uuid.lower()] = char
        uuids = [s.uuid for s in self.services]
        self._bus.export(f"{APP_PATH}/advertisement0", adv_cls(self.name, uuids))
        try:
            introspection = await self._bus.introspect(BLUEZ, self.adapter_path)
            adapter = self._bus.get_proxy_object(BLUEZ, self.adapter_path, introspection)
            await adapter.get_interface("org.bluez.GattManager1").call_register_application(APP_PATH, {})
            await adapter.get_interface("org.bluez.LEAdvertisingManager1").call_register_advertisement(
                f"{APP_PATH}/advertisement0", {}
            )
        except DBusError as exc:
            raise EdgeharError(f"BLE peripheral: BlueZ adapter {self.adapter_path} refused: {exc}") from exc

    def notify(self, uuid: str, value: bytes) -> bool:
        """Send ``value`` on characteristic ``uuid``; False when nobody is subscribed to it."""
        char = self.characteristics[uuid.lower()]
        char.notify(value)
        return char.notifying

    async def disconnect_centrals(self) -> int:
        """Drop every connected central, as a link loss would; returns how many were dropped."""
        introspection = await self._bus.introspect(BLUEZ, "/")
        root = self._bus.get_proxy_object(BLUEZ, "/", introspection)
        objects = await root.get_interface("org.freedesktop.DBus.ObjectManager").call_get_managed_objects()
        dropped = 0
        for path, interfaces in objects.items():
            device = interfaces.get("org.bluez.Device1")
            if not path.startswith(self.adapter_path + "/") or device is None:
                continue
            if not device["Connected"].value:
                continue
            proxy = self._bus.get_proxy_object(BLUEZ, path, await self._bus.introspect(BLUEZ, path))
            await proxy.get_interface("org.bluez.Device1").call_disconnect()
            dropped += 1
        for char in self.characteristics.values():
            char.notifying = False
        self.subscribed.clear()
        return dropped

    async def stop(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None
