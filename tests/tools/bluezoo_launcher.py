"""Run BlueZoo (a user-space mock of BlueZ's D-Bus API) with three of its bugs patched.

Test-only tool, run as a separate process: bluezoo is GPL-2.0-only, so nothing in the ``edgehar``
package imports it. Patched in bluezoo 1.0.2 (the pinned ``dev`` version):

1. a reconnect failed with EEXIST because ``Device.disconnect()`` never removed the GATT link
   objects that ``connect()`` exports;
2. each reconnect duplicated every notification because the old PropertiesChanged subscriptions
   stayed alive;
3. a disconnect requested on the peripheral's side (its adapter's view of the central) did not
   reach the central, so a peripheral could not drop the link as a real one can;
4. an advertising device was reported once, when first seen: a scanner that subscribed a moment
   after its StartDiscovery (bleak's ``find_device_by_name`` does) missed it for good. A real
   adapter reports every advertisement (an RSSI update), so each scan round now does too.

Usage: ``python bluezoo_launcher.py --auto-enable --scan-interval 1 -a ADDR0 -a ADDR1``
(the arguments of ``bluezoo``), with ``DBUS_SYSTEM_BUS_ADDRESS`` naming the private bus.
"""

from __future__ import annotations

from bluezoo import bluezoo
from bluezoo.adapter import Adapter
from bluezoo.device import Device
from bluezoo.gatt import GattCharacteristicClientLink

_original_connect = Device.connect
_original_disconnect = Device.disconnect
_original_add_device = Adapter.add_device


async def _connect(self: Device, uuid: str | None = None) -> None:
    # Remember which central-side device owns the link, so the peripheral side can end it (bug 3).
    self.peer._edgehar_link_owner = self
    await _original_connect(self, uuid)


async def _disconnect(self: Device, uuid: str | None = None) -> None:
    owner = getattr(self, "_edgehar_link_owner", None)
    if owner is not None and owner.connected:
        await owner.disconnect(uuid)
        return
    await _original_disconnect(self, uuid)
    for link in list(self.services.values()):
        if isinstance(link, GattCharacteristicClientLink):
            link.client_props_changed_subscription.unsubscribe()  # bug 2
            if link.client.Notifying.get(False):
                await link.client.StopNotify()
        self.peer_adapter.mock.remove_object(link)  # bug 1
    self.services.clear()
    if self.services_resolved:
        await self.ServicesResolved.set_async(False)


async def _add_device(self: Adapter, device: Device) -> None:
    await _original_add_device(self, device)
    known = self.devices.get(device.get_object_path())
    if known is not None and known is not device and self.discovering:  # bug 4
        known.properties_changed.emit(("org.bluez.Device1", {"RSSI": ("n", known.rssi)}, []))


Adapter.add_device = _add_device
Device.connect = _connect
Device.disconnect = _disconnect

if __name__ == "__main__":
    bluezoo.main()
