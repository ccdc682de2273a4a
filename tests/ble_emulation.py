"""An emulated BlueZ on a private D-Bus, so real bleak can be tested without Bluetooth hardware.

A private ``dbus-daemon`` stands in for the system bus (``DBUS_SYSTEM_BUS_ADDRESS`` redirects
bleak and dbus-fast to it; nothing touches the real system bus) and BlueZoo, started through
``tests/tools/bluezoo_launcher.py``, serves ``org.bluez`` with two adapters: ``hci0`` for the
central (bleak, the default adapter) and ``hci1`` for the emulated peripheral.
Needs ``dbus-daemon`` (Debian package ``dbus-daemon``, pulled in by ``dbus``) and the ``bluezoo``
pip package (dev extra); the bus configuration is written here, so nothing else from the system.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parent / "tools" / "bluezoo_launcher.py"
CENTRAL_ADDRESS = "00:AA:01:00:00:01"
PERIPHERAL_ADDRESS = "00:AA:01:00:00:02"


def missing_requirement() -> str | None:
    """Why the emulation cannot run here, or None when it can."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon not found (Debian package: dbus)"
    try:
        import bluezoo  # noqa: F401
    except ImportError:
        return "bluezoo not installed (pip install -e '.[dev]')"
    return None


@dataclass
class EmulatedBluez:
    """A running private bus with BlueZoo on it."""

    address: str
    processes: list[subprocess.Popen]
    socket_dir: str

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.socket_dir, ignore_errors=True)


async def _has_owner(address: str, name: str) -> bool:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=address).connect()
    try:
        reply = await bus.call(Message(
            destination="org.freedesktop.DBus", path="/org/freedesktop/DBus", interface="org.freedesktop.DBus",
            member="NameHasOwner", signature="s", body=[name],
        ))
        return bool(reply.body and reply.body[0])
    finally:
        bus.disconnect()


def _wait_for_name(address: str, name: str, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bluezoo exited early with status {proc.returncode}")
        if asyncio.run(_has_owner(address, name)):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not appear on {address} within {timeout} s")


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_emulated_bluez(workdir: Path) -> EmulatedBluez:
    """Start a private dbus-daemon and BlueZoo with two powered adapters; returns when ready."""
    config = workdir / "bus.conf"
    # Unix socket paths are limited to 107 bytes; pytest's tmp_path names can be longer.
    socket_dir = tempfile.mkdtemp(prefix="ehbus-")
    config.write_text(_BUS_CONFIG.format(socket=os.path.join(socket_dir, "bus")))
    daemon = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    address = daemon.stdout.readline().strip()
    if not address:
        daemon.wait(timeout=5)
        raise RuntimeError(f"dbus-daemon did not start (exit status {daemon.returncode})")
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
    log = open(workdir / "bluezoo.log", "w")  # kept for post-mortems of a failing test
    zoo = subprocess.Popen(
        [
            sys.executable, str(LAUNCHER), "--auto-enable", "--scan-interval", "1",
            "-a", CENTRAL_ADDRESS, "-a", PERIPHERAL_ADDRESS,
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    emulated = EmulatedBluez(address, [daemon, zoo], socket_dir)
    try:
        _wait_for_name(address, "org.bluez", zoo)
    except BaseException:
        emulated.stop()
        raise
    return emulated


@pytest.fixture
def emulated_bluez(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An emulated BlueZ for one test; bleak in this process talks to it."""
    reason = missing_requirement()
    if reason is not None:
        pytest.skip(f"BLE emulation unavailable: {reason}")
    emulated = start_emulated_bluez(tmp_path)
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", emulated.address)
    try:
        yield emulated
    finally:
        emulated.stop()
