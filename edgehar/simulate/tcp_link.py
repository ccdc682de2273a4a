"""A TCP server playing a Wi-Fi serial bridge (ESP32 ser2net style); hosts use ``socket://``.

One host at a time, on loopback by default. pyserial's ``socket://HOST:PORT`` URL opens it like a
port, and a dropped connection fails the host's reads the way an unplug does.
"""

from __future__ import annotations

import asyncio

from edgehar.errors import EdgeharError
from edgehar.simulate.link import Link

#: Bytes queued for a slow host before messages are dropped (at real rate) or awaited (at max).
MAX_QUEUED = 64 * 1024


class TcpLink(Link):
    waits_for_host = True

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        super().__init__()
        self.host = host
        self.port = port
        self._server: asyncio.AbstractServer | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    @property
    def address(self) -> str:
        return f"socket://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._server is not None:
            return  # already listening (a test may start it before the device streams)
        try:
            self._server = await asyncio.start_server(self._accept, self.host, self.port)
        except (OSError, OverflowError) as exc:  # port in use or taken, or outside 0-65535
            raise EdgeharError(f"TCP port {self.port} on {self.host}: cannot listen ({exc})") from exc
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._writer is not None:
            writer.close()  # one host at a time, like a serial port
            return
        self._writer = writer
        self.connection += 1
        self.connected.set()
        try:
            while data := await reader.read(4096):
                self.received(data)
        except (ConnectionError, OSError):
            pass
        finally:
            if self._writer is writer:
                self._writer = None
                self.connected.clear()
            writer.close()

    def has_host(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    async def send(self, message: bytes, wait: bool) -> bool:
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        if writer.transport.get_write_buffer_size() > MAX_QUEUED:
            if not wait:
                self.overflows += 1
                return False
            try:
                await writer.drain()
            except (ConnectionError, OSError):
                return False
        writer.write(message)
        return True

    async def drop_host(self) -> None:
        writer, self._writer = self._writer, None
        self.connected.clear()
        if writer is not None:
            writer.close()

    async def close(self) -> None:
        await self.drop_host()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
