"""A pseudo-terminal playing a USB serial port, with a stable path that survives "replugging".

The host opens the slave side with pyserial exactly like ``/dev/ttyACM0``. A symlink (like
``/dev/serial/by-id/...``) always points at the current slave: an unplug closes the pty, so the
host's reads fail as on a real unplug, and the replug creates a new pty behind the same link.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import tty
from pathlib import Path

from edgehar.errors import EdgeharError
from edgehar.simulate.link import Link

#: How long the simulated cable stays unplugged.
UNPLUGGED_S = 0.5


class PtyLink(Link):
    def __init__(self, link_path: str | None = None, unplugged_s: float = UNPLUGGED_S) -> None:
        super().__init__()
        if link_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="edgehar-sim-")
            link_path = os.path.join(self._tmpdir, "ttyEDGEHAR0")
        else:
            self._tmpdir = None
        self.link_path = Path(link_path)
        self.unplugged_s = unplugged_s
        self.master: int | None = None
        self.slave: int | None = None
        self.slave_name = ""
        self._replug: asyncio.Task | None = None

    @property
    def address(self) -> str:
        return str(self.link_path)

    async def start(self) -> None:
        if self.master is None:  # a test may plug the board in before it starts streaming
            self._plug()

    def _plug(self) -> None:
        master, slave = os.openpty()
        # Raw mode before the host opens it: otherwise the line discipline would buffer until
        # newlines and turn bytes like 0x03 into signals.
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.master, self.slave = master, slave
        self.slave_name = os.ttyname(slave)
        tmp = self.link_path.with_name(self.link_path.name + ".new")
        try:
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            os.symlink(self.slave_name, tmp)
            os.replace(tmp, self.link_path)
        except OSError as exc:  # no such folder, no permission, a folder in the way
            os.close(master)
            os.close(slave)
            self.master = self.slave = None
            raise EdgeharError(f"{self.link_path}: cannot make the port's link there ({exc.strerror})") from exc
        asyncio.get_running_loop().add_reader(master, self._on_readable)
        self.connection += 1

    def _on_readable(self) -> None:
        try:
            data = os.read(self.master, 4096)  # type: ignore[arg-type]
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""  # EIO: no host has the port open right now
        if data:
            self.received(data)

    def _unplug(self) -> None:
        if self.master is None:
            return
        asyncio.get_running_loop().remove_reader(self.master)
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None
        if self.link_path.is_symlink():
            self.link_path.unlink()

    def has_host(self) -> bool:
        return self.master is not None

    async def send(self, message: bytes, wait: bool) -> bool:
        if self.master is None:
            return False
        view = memoryview(message)
        while view:
            try:
                written = os.write(self.master, view)
            except BlockingIOError:
                if not wait and len(view) == len(message):
                    self.overflows += 1  # nobody reads: the board's TX buffer overflows
                    return False
                await asyncio.sleep(0.001)  # a message is never cut halfway
                if self.master is None:
                    return False
                continue
            except OSError:
                return False
            view = view[written:]
        return True

    async def drop_host(self) -> None:
        self._unplug()
        self._replug = asyncio.create_task(self._plug_later())

    async def _plug_later(self) -> None:
        await asyncio.sleep(self.unplugged_s)
        self._plug()

    async def close(self) -> None:
        if self._replug is not None:
            self._replug.cancel()
        self._unplug()
        if self._tmpdir is not None:
            try:
                os.rmdir(self._tmpdir)
            except OSError:
                pass
