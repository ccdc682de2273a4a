"""BLE source (bleak): the edgehar GATT service, or the Nordic UART Service with frames or text.

Connects by address or by advertised name (a scan). With the edgehar service it subscribes to
data and config, then reads config (a CONFIG frame is longer than one notification at the default
MTU). With NUS it takes one frame per notification, or text lines split across notifications,
and asks for a CONFIG over RX. The negotiated MTU is read from BlueZ's characteristic property and
reported, since it sets the samples per notification; a notification cut by a too-small MTU fails
the frame's length check and is counted as corrupt. After a link loss the source reconnects with
exponential backoff, reusing the scanned device and scanning again after repeated failures.
bleak is imported only when the source runs.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import AsyncIterator

from edgehar.errors import EdgeharError
from edgehar.protocol import (
    CONFIG_CHAR_UUID,
    CONTROL_CHAR_UUID,
    DATA_CHAR_UUID,
    EDGEHAR_SERVICE_UUID,
    NUS_RX_UUID,
    NUS_SERVICE_UUID,
    NUS_TX_UUID,
    ConfigFrame,
    ControlFrame,
    FrameError,
    Opcode,
    decode_frame,
    encode_frame,
    samples_per_notification,
)
from edgehar.protocol.ble import ATT_NOTIFY_OVERHEAD, DEFAULT_ATT_MTU
from edgehar.runtime.sources.backoff import Backoff
from edgehar.runtime.sources.base import Item, LinkEvent, Source, StreamInfo
from edgehar.runtime.sources.byte_stream import FORMATS, ByteStreamDecoder
from edgehar.runtime.sources.frame_blocks import FrameBlocks
from edgehar.runtime.sources.serial import CONFIG_REQUEST_INTERVAL_S, FALLBACK_AFTER_S

_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f-]{36}$")  # MAC, or a macOS UUID
#: Failed connects in a row after which the device is looked up again (it may have a new address).
RESCAN_AFTER = 3
_TICK_S = 0.25
_DISCONNECT_TIMEOUT_S = 5.0
_REQUEST_CONFIG = encode_frame(ControlFrame(Opcode.REQUEST_CONFIG))


def is_address(target: str) -> bool:
    """A BLE address (``AA:BB:CC:DD:EE:FF``, or the UUID macOS uses) rather than a name."""
    return bool(_ADDRESS.match(target))


def negotiated_mtu(char) -> int:
    """ATT MTU of the connection, from a characteristic (BlueZ exposes it since 5.62)."""
    size = getattr(char, "max_write_without_response_size", None)
    return int(size) + ATT_NOTIFY_OVERHEAD if size else DEFAULT_ATT_MTU


def looks_binary(notification: bytes) -> bool:
    """A NUS notification holding an edgehar frame (starts 0x11/0x12, never in CSV text)."""
    return bool(notification) and notification[0] in (0x11, 0x12)


class BleSource(Source):
    """Blocks from a BLE device; ``target`` is its address or advertised name."""

    def __init__(
        self,
        target: str,
        fmt: str = "auto",
        text_info: StreamInfo | None = None,
        fallback: ConfigFrame | None = None,
        adapter: str | None = None,
        scan_timeout_s: float = 10.0,
        connect_timeout_s: float = 20.0,
        backoff: Backoff | None = None,
        text_rate_hz: float | None = None,
    ) -> None:
        if fmt not in FORMATS:
            raise EdgeharError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        self.target = target
        self.fmt = fmt
        self.text_info = text_info
        self.frames = FrameBlocks(fallback)
        self.text = ByteStreamDecoder("text", text_info, text_rate_hz=text_rate_hz)
        self.adapter = adapter
        self.scan_timeout_s = scan_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.backoff = backoff or Backoff()
        self.info: StreamInfo | None = None
        self.mtu: int | None = None
        self._closed = asyncio.Event()

    def _bluez(self) -> dict:
        return {"bluez": {"adapter": self.adapter}} if self.adapter else {}

    async def close(self) -> None:
        self._closed.set()

    async def _find(self):
        from bleak import BleakScanner

        if is_address(self.target):
            return await BleakScanner.find_device_by_address(self.target, self.scan_timeout_s, **self._bluez())
        return await BleakScanner.find_device_by_name(self.target, self.scan_timeout_s, **self._bluez())

    async def __aiter__(self) -> AsyncIterator[Item]:
        from bleak import BleakClient
        from bleak.exc import BleakBluetoothNotAvailableError, BleakError

        device = None
        failures = 0
        ever_connected = False
        while not self._closed.is_set():
            lost = asyncio.Event()
            try:
                if device is None or failures >= RESCAN_AFTER:
                    try:
                        device = await self._find()
                    except (BleakBluetoothNotAvailableError, OSError) as exc:
                        if not ever_connected:  # no adapter, no bluetoothd: nothing to wait for
                            raise EdgeharError(f"BLE: Bluetooth is not available here ({exc})") from exc
                        raise
                    failures = 0
                    if device is None:
                        if not ever_connected:
                            raise EdgeharError(
                                f"BLE: no device {'at' if is_address(self.target) else 'named'} {self.target!r} "
                                f"found within {self.scan_timeout_s:g} s (is it on and advertising?)"
                            )
                        raise BleakError(f"{self.target} not seen in a {self.scan_timeout_s:g} s scan")
                client = BleakClient(
                    device, disconnected_callback=lambda _c: lost.set(), timeout=self.connect_timeout_s, **self._bluez()
                )
                await client.connect()
            except (BleakError, asyncio.TimeoutError, OSError, EOFError) as exc:
                failures += 1
                delay = self.backoff.next_delay()
                yield LinkEvent("reconnecting", f"BLE {self.target}: {exc or type(exc).__name__}; "
                                                f"retry {self.backoff.attempt} in {delay:.2f} s")
                await self._sleep(delay)
                continue
            ever_connected = True
            failures = 0
            try:
                async for item in self._session(client, lost):
                    if isinstance(item, LinkEvent) and item.info is not None:
                        self.info = item.info
                    yield item
            finally:
                if client.is_connected:
                    try:
                        await asyncio.wait_for(client.disconnect(), _DISCONNECT_TIMEOUT_S)
                    except (BleakError, asyncio.TimeoutError, OSError, EOFError):
                        pass  # the link is being torn down anyway

    async def _session(self, client, lost: asyncio.Event) -> AsyncIterator[Item]:
        """Items of one connection, ending with ``lost`` unless the source was closed."""
        from bleak.exc import BleakError

        queue: asyncio.Queue = asyncio.Queue()
        services = client.services
        if services.get_service(EDGEHAR_SERVICE_UUID) is not None:
            mode, data_uuid = "edgehar", DATA_CHAR_UUID
        elif services.get_service(NUS_SERVICE_UUID) is not None:
            mode, data_uuid = "nus", NUS_TX_UUID
        else:
            raise EdgeharError(f"BLE {self.target}: offers neither the edgehar service nor the Nordic UART Service")
        data_char = services.get_characteristic(data_uuid)
        self.mtu = negotiated_mtu(data_char)
        self.frames.reset()
        self.text.reset()
        channels = self.frames.channels or (len(self.text_info.channels) if self.text_info else 6)  # 6: an IMU
        per_frame = samples_per_notification(self.mtu, channels)
        yield LinkEvent(
            "info",
            f"BLE connected to {client.address} via {'edgehar service' if mode == 'edgehar' else 'NUS'}, "
            f"MTU {self.mtu}: up to {per_frame} samples of {channels} channels per notification",
        )

        def on_notify(_char, data: bytearray) -> None:
            queue.put_nowait((time.monotonic(), bytes(data)))

        binary = self.fmt == "binary" or (mode == "edgehar")
        text = self.fmt == "text" and mode == "nus"
        control_uuid = CONTROL_CHAR_UUID if mode == "edgehar" else NUS_RX_UUID
        try:
            if mode == "edgehar":
                await client.start_notify(CONFIG_CHAR_UUID, on_notify)
            await client.start_notify(data_uuid, on_notify)
            if mode == "edgehar":
                config = await client.read_gatt_char(CONFIG_CHAR_UUID)
                if config:
                    queue.put_nowait((time.monotonic(), bytes(config)))
        except (BleakError, asyncio.TimeoutError, OSError, EOFError) as exc:
            yield LinkEvent("lost", f"BLE {self.target}: setting up notifications failed ({exc})")
            return
        opened = time.monotonic()
        last_request = -float("inf")
        warned = False
        while not self._closed.is_set():
            try:
                arrived, payload = await asyncio.wait_for(queue.get(), _TICK_S)
            except asyncio.TimeoutError:
                arrived, payload = time.monotonic(), None
            if payload is None and lost.is_set():
                yield LinkEvent("lost", f"BLE {self.target}: link lost")
                return
            if payload is not None:
                if not binary and not text:
                    binary, text = looks_binary(payload), not looks_binary(payload)
                    yield LinkEvent("info", f"detected {'binary' if binary else 'text'} format on NUS")
                if binary:
                    for item in self._frame(payload, arrived):
                        yield item
                    self.backoff.reset()
                else:
                    for item in self.text.feed(payload, arrived):
                        yield item
                    self.backoff.reset()
            now = time.monotonic()
            if binary and self.frames.waiting_for_config:
                if now - last_request >= CONFIG_REQUEST_INTERVAL_S and not lost.is_set():
                    last_request = now
                    try:
                        await client.write_gatt_char(control_uuid, _REQUEST_CONFIG, response=False)
                        if mode == "edgehar":
                            config = await client.read_gatt_char(CONFIG_CHAR_UUID)
                            if config:
                                queue.put_nowait((time.monotonic(), bytes(config)))
                    except (BleakError, asyncio.TimeoutError, OSError, EOFError):
                        pass  # the disconnect callback reports a real loss
                if now - opened >= FALLBACK_AFTER_S:
                    if self.frames.fallback is not None:
                        for item in self.frames.use_fallback(now):
                            yield item
                    elif not warned:
                        warned = True
                        yield LinkEvent("info", f"BLE {self.target}: no CONFIG after {FALLBACK_AFTER_S:g} s "
                                                f"(MTU {self.mtu} too small for it on NUS?); give the channels, units, "
                                                "scales and rate, or use the edgehar service")

    def _frame(self, payload: bytes, arrived: float) -> list[Item]:
        try:
            frame = decode_frame(payload, self.frames.channels)
        except FrameError as err:
            hint = f" (a notification cut at MTU {self.mtu}?)" if err.reason == "length" else ""
            return [LinkEvent("corrupt", f"{err.reason}: {err}{hint}")]
        if isinstance(frame, ControlFrame):
            return [LinkEvent("corrupt", "type: CONTROL frame sent by the device")]
        return self.frames.frame(frame, arrived)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closed.wait(), seconds)
        except asyncio.TimeoutError:
            pass
