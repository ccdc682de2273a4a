"""An emulated BlueZ on a private D-Bus, so real bleak can be tested without Bluetooth hardware.

A private ``dbus-daemon`` stands in for the system bus (``DBUS_SYSTEM_BUS_ADDRESS`` redirects
bleak and dbus-fast to it; nothing touches the real system bus) and BlueZoo, started through
``tests/tools/bluezoo_launcher.py``, serves ``org.bluez`` with two adapters: ``hci0`` for the
central (bleak, the default adapter) and ``hci1`` for the emulated peripheral.
Needs the Debian package ``dbus`` (for ``dbus-daemon``) and the ``bluezoo`` pip package (dev extra).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
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
    env: dict[str, str]
    processes: list[subprocess.Popen]

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def busctl(self, *args: str) -> str:
        """Run ``busctl`` against the private bus (for link-loss injection and inspection)."""
        out = subprocess.run(
            ["busctl", f"--address={self.address}", *args], capture_output=True, text=True, timeout=10
        )
        if out.returncode != 0:
            raise RuntimeError(f"busctl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout


def _wait_for_name(address: str, name: str, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bluezoo exited early with status {proc.returncode}")
        out = subprocess.run(
            ["busctl", f"--address={address}", "status", name], capture_output=True, text=True
        )
        if out.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not appear on {address} within {timeout} s")


def start_emulated_bluez(workdir: Path) -> EmulatedBluez:
    """Start a private dbus-daemon and BlueZoo with two powered adapters; returns when ready."""
    socket_path = workdir / "system_bus_socket"
    daemon = subprocess.Popen(
        [
            "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address",
            f"--address=unix:path={socket_path}",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    address = daemon.stdout.readline().strip()
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
    emulated = EmulatedBluez(address, env, [daemon, zoo])
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
