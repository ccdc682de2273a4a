"""``edgehar simulate``: play a dataset as an IMU board would stream it, to test ``edgehar stream``.

Over a pseudo-terminal (default; prints the port path), TCP (``--tcp PORT``, for ``socket://``)
or as a BLE peripheral on the system's BlueZ D-Bus (``--ble NAME``); edgehar frames or CSV lines;
at real rate or faster; with seeded faults. The first stdout line is ``port: ADDRESS`` so scripts
can connect to it.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Optional

import typer

HELP = "Play a dataset as a device over a pty, TCP or BLE (with fault injection) for edgehar stream."


def simulate(
    source: str = typer.Argument(
        "synthetic", help="synthetic, a UTD-MHAD folder or *_inertial.mat, or edgehar recordings (file or folder)."
    ),
    tcp: Optional[int] = typer.Option(None, "--tcp", help="Serve on TCP port N of 127.0.0.1 (0: any free port)."),
    ble: Optional[str] = typer.Option(None, "--ble", help="Be a BLE peripheral advertising this name."),
    link: Optional[str] = typer.Option(None, "--link", help="pty: path of the stable symlink to the port."),
    adapter: str = typer.Option("hci1", "--adapter", help="BLE: the BlueZ adapter to advertise on."),
    mtu: int = typer.Option(247, "--mtu", help="BLE: ATT MTU to size frames for until BlueZ reports one."),
    ble_service: str = typer.Option("both", "--ble-service", help="BLE: offer edgehar, nus, or both services."),
    ignore_mtu: bool = typer.Option(False, "--ignore-mtu", help="BLE: size frames without regard to the MTU (they get cut), to test hosts."),
    fmt: str = typer.Option("binary", "--format", help="binary (edgehar frames) or text (CSV lines)."),
    speed: str = typer.Option("1", "--speed", help="1 (real rate), N times faster, or max."),
    samples_per_frame: int = typer.Option(5, "--samples-per-frame", help="Samples per DATA frame (BLE: at most what the MTU allows)."),
    loop: bool = typer.Option(False, "--loop", help="Start over when the data ends."),
    duration: Optional[str] = typer.Option(None, "--duration", help="Stop after this long, e.g. 30s (TCP/BLE: counted once a host connects)."),
    drop: float = typer.Option(0.0, "--drop", help="Probability of dropping a frame."),
    duplicate: float = typer.Option(0.0, "--duplicate", help="Probability of sending a frame twice."),
    corrupt: float = typer.Option(0.0, "--corrupt", help="Probability of damaging a frame."),
    reorder: float = typer.Option(0.0, "--reorder", help="Probability of swapping a frame with the next."),
    disconnect_every: Optional[str] = typer.Option(None, "--disconnect-every", help="Drop the link every S seconds (unplug / link loss)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the faults and of the synthetic data."),
) -> None:
    """Stream until the data ends, --duration passes, or Ctrl-C; then print what was sent."""
    from edgehar.errors import EdgeharError
    from edgehar.runtime.duration import parse_seconds
    from edgehar.runtime.sources.replay import parse_speed
    from edgehar.simulate.device import SimulatedDevice
    from edgehar.simulate.faults import FaultRates
    from edgehar.simulate.motion import open_motion
    from edgehar.simulate.runner import run_device

    if fmt not in ("binary", "text"):
        raise EdgeharError(f"--format must be binary or text, got {fmt!r}")
    if tcp is not None and ble is not None:
        raise EdgeharError("choose one of --tcp and --ble (or neither, for a pty)")
    if samples_per_frame < 1 or samples_per_frame > 255:
        raise EdgeharError(f"--samples-per-frame must be 1..255, got {samples_per_frame}")
    rates = FaultRates(drop, duplicate, corrupt, reorder, seed)
    every = parse_seconds(disconnect_every, "--disconnect-every") if disconnect_every else None
    if every is not None and every <= 0:
        raise EdgeharError("--disconnect-every must be positive")
    duration_s = parse_seconds(duration, "--duration") if duration else None
    device = SimulatedDevice(open_motion(source, seed=seed, loop=loop), name=ble)
    if ble is not None:
        from edgehar.simulate.ble_link import BleLink

        offer = {"both": ("edgehar", "nus"), "edgehar": ("edgehar",), "nus": ("nus",)}.get(ble_service)
        if offer is None:
            raise EdgeharError(f"--ble-service must be edgehar, nus or both, got {ble_service!r}")
        channel = BleLink(ble, adapter=adapter, mtu=mtu, offer=offer, respect_mtu=not ignore_mtu)
    elif tcp is not None:
        from edgehar.simulate.tcp_link import TcpLink

        channel = TcpLink(tcp)
    else:
        from edgehar.simulate.pty_link import PtyLink

        channel = PtyLink(link)

    def ready(ch) -> None:
        extra = f" (pty {ch.slave_name})" if hasattr(ch, "slave_name") else ""
        print(f"port: {ch.address}", flush=True)
        print(
            f"streaming {device.motion.description}: {len(device.info.channels)} channels at "
            f"{device.rate_hz:g} Hz, {fmt}, speed {speed}{extra}", flush=True,
        )

    async def main():
        stop = asyncio.Event()
        loop_ = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop_.add_signal_handler(sig, stop.set)
        return await run_device(
            device, channel, binary=fmt == "binary", speed=parse_speed(speed), faults=rates,
            disconnect_every_s=every, samples_per_frame=samples_per_frame, duration_s=duration_s,
            stop=stop, on_ready=ready,
        )

    stats = asyncio.run(main())
    f = stats.faults
    sys.stdout.write(
        f"sent {stats.sent_samples} of {stats.samples} samples in {stats.frames} frames "
        f"({stats.skipped_samples} while no host listened), {stats.configs} CONFIG, {stats.disconnects} disconnects; "
        f"faults: {f.dropped} dropped, {f.duplicated} duplicated, {f.corrupted} corrupted, {f.reordered} reordered"
        + (f"; {stats.overflows} dropped for a full buffer (nobody reading)" if stats.overflows else "") + "\n"
    )


def register(app: typer.Typer) -> None:
    app.command("simulate", help=HELP)(simulate)
