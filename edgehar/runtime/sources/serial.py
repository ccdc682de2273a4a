"""Serial source: a USB/UART port (or a pyserial URL such as ``socket://host:port``).

A thread does the blocking reads and hands chunks to the event loop, so decoding and inference
never wait on the port. An unplugged board shows up as a read error; the source then reopens the
same path with exponential backoff (a stable ``/dev/serial/by-id/...`` path survives replugging).
pyserial is imported when a port is opened, not before.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import AsyncIterator

from edgehar.errors import EdgeharError
from edgehar.protocol import ConfigFrame, ControlFrame, Opcode, frame_to_serial
from edgehar.runtime.sources.backoff import Backoff
from edgehar.runtime.sources.base import Item, LinkEvent, Source, StreamInfo
from edgehar.runtime.sources.byte_stream import ByteStreamDecoder

#: Seconds between REQUEST_CONFIG frames while binary DATA arrives without a CONFIG.
CONFIG_REQUEST_INTERVAL_S = 1.0
#: Seconds without a CONFIG after which a user-given fallback configuration is used.
FALLBACK_AFTER_S = 2.5
_READ_TIMEOUT_S = 0.1
_TICK_S = 0.25


class _Lost:
    """Marker the reader thread sends when the port failed (unplugged, closed by the peer)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class SerialSource(Source):
    """Blocks from a serial port, in ``fmt`` ``binary`` (edgehar frames), ``text`` or ``auto``.

    The first open must succeed (a wrong path is a user error, reported at once); after that a
    lost port is retried until :meth:`close`. ``text_info`` describes text columns (or just
    ``text_rate_hz``, their rate); ``fallback`` is the CONFIG to assume when a binary device never
    sends one.
    """

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        fmt: str = "auto",
        text_info: StreamInfo | None = None,
        fallback: ConfigFrame | None = None,
        backoff: Backoff | None = None,
        text_rate_hz: float | None = None,
    ) -> None:
        self.port = port
        self.baud = baud
        self.decoder = ByteStreamDecoder(fmt, text_info, fallback, text_rate_hz)
        self.backoff = backoff or Backoff()
        self.info: StreamInfo | None = None
        self._closed = asyncio.Event()

    def _open(self):
        import serial

        return serial.serial_for_url(self.port, baudrate=self.baud, timeout=_READ_TIMEOUT_S, write_timeout=0.5)

    async def close(self) -> None:
        self._closed.set()

    async def __aiter__(self) -> AsyncIterator[Item]:
        import serial

        first = True
        while not self._closed.is_set():
            try:
                port = await asyncio.to_thread(self._open)
            except (serial.SerialException, OSError, ValueError) as exc:
                if first:
                    raise EdgeharError(f"serial port {self.port}: cannot open ({exc})") from exc
                delay = self.backoff.next_delay()
                yield LinkEvent("reconnecting", f"{self.port}: {exc}; retry {self.backoff.attempt} in {delay:.2f} s")
                await self._sleep(delay)
                continue
            first = False
            self.decoder.reset()
            async for item in self._session(port):
                if isinstance(item, LinkEvent) and item.info is not None:
                    self.info = item.info
                yield item

    async def _session(self, port) -> AsyncIterator[Item]:
        """Items of one open port, ending with a ``lost`` event unless the source was closed."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        stop = threading.Event()
        reader = threading.Thread(target=self._read_loop, args=(port, queue, loop, stop), daemon=True)
        reader.start()
        opened = time.monotonic()
        last_request = -float("inf")
        got_data = False
        try:
            while not self._closed.is_set():
                try:
                    item = await asyncio.wait_for(queue.get(), _TICK_S)
                except asyncio.TimeoutError:
                    item = None
                now = time.monotonic()
                if isinstance(item, _Lost):
                    yield LinkEvent("lost", f"{self.port}: {item.reason}")
                    return
                if item is not None:
                    arrived, chunk = item
                    for out in self.decoder.feed(chunk, arrived):
                        got_data = True
                        yield out
                    if got_data:
                        self.backoff.reset()
                if self.decoder.waiting_for_config and self.decoder.format == "binary":
                    if now - last_request >= CONFIG_REQUEST_INTERVAL_S:
                        last_request = now
                        self._write(port, frame_to_serial(ControlFrame(Opcode.REQUEST_CONFIG)))
                    if now - opened >= FALLBACK_AFTER_S:
                        for out in self.decoder.frames.use_fallback(now):
                            yield out
        finally:
            stop.set()
            reader.join(timeout=2 * _READ_TIMEOUT_S + 1)
            port.close()

    @staticmethod
    def _write(port, data: bytes) -> None:
        import serial

        try:
            port.write(data)
        except (serial.SerialException, OSError):
            pass  # the reader sees the same failure and reports the loss

    @staticmethod
    def _read_loop(port, queue: asyncio.Queue, loop: asyncio.AbstractEventLoop, stop: threading.Event) -> None:
        import serial

        def put(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:
                stop.set()  # the event loop is gone: nobody is listening any more

        while not stop.is_set():
            try:
                chunk = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as exc:
                # pyserial raises TypeError from in_waiting on a port closed under it.
                put(_Lost(str(exc) or type(exc).__name__))
                return
            if chunk:
                put((time.monotonic(), chunk))

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closed.wait(), seconds)
        except asyncio.TimeoutError:
            pass
