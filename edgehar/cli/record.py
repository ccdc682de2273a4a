"""``edgehar record``: capture labelled takes from a live board for fine-tuning on one's own data.

Each run writes one take into ``--out DIR`` (a recording, see docs/recording-format.md) that
``edgehar train`` reads as a dataset and ``edgehar stream --replay`` plays back. The file is
appended and flushed every half second, so a crash or a pulled plug loses at most that much.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from edgehar.cli import source_options as link
from edgehar.errors import EdgeharError

HELP = "Record labelled IMU takes from --serial or --ble into a dataset folder."


def _take_path(out: Path, label: str) -> Path:
    """``DIR/<label>_<UTC time>.csv``, never an existing file."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-") or "take"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = out / f"{slug}_{stamp}.csv"
    n = 1
    while path.exists():
        n += 1
        path = out / f"{slug}_{stamp}_{n}.csv"
    return path


async def _record(source, recorder, duration_s: float | None, quiet: bool) -> dict:
    from edgehar.runtime.sources.base import Block, LinkEvent

    loop = asyncio.get_running_loop()
    interrupted = False

    def stop() -> None:
        nonlocal interrupted
        interrupted = True
        loop.create_task(source.close())

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    started = time.monotonic()
    first_sample: float | None = None
    try:
        async for item in source:
            if isinstance(item, LinkEvent):
                recorder.link_event(item)
                if not quiet and item.kind in ("connected", "lost", "reconnecting"):
                    sys.stderr.write(f"link {item.kind}{': ' + item.detail if item.detail else ''}\n")
                continue
            if isinstance(item, Block):
                recorder.write(item)
                if first_sample is None:
                    first_sample = item.host_time
                if duration_s is not None and item.host_time - first_sample >= duration_s:
                    break
            if interrupted:
                break
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await source.close()
        recorder.close()
    return {"samples": recorder.samples, "seconds": round(time.monotonic() - started, 2), "interrupted": interrupted}


def record(
    label: str = typer.Option(..., "--label", help="Activity performed in this take (stored in the file)."),
    out: Path = typer.Option(..., "--out", help="Dataset folder; one file per take is added."),
    serial: link.SerialOption = None,
    ble: link.BleOption = None,
    baud: link.BaudOption = 115200,
    fmt: link.FormatOption = "auto",
    channels: link.ChannelsOption = None,
    units: link.UnitsOption = None,
    rate: link.RateOption = None,
    adapter: link.AdapterOption = None,
    duration: Optional[str] = typer.Option(
        None, "--duration", help="Stop after this long, e.g. 30s (default: Ctrl-C)."
    ),
    subject: int = typer.Option(
        -1, "--subject", help="Subject id stored in the header (for cross-subject splits)."
    ),
    session: int = typer.Option(-1, "--session", help="Session id stored in the header."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the final line."),
) -> None:
    """Record one take; Ctrl-C (or --duration) ends it and prints what was written."""
    from edgehar.runtime.duration import parse_seconds
    from edgehar.runtime.recorder import Recorder

    if serial is None and ble is None:
        raise EdgeharError("give --serial PORT or --ble ADDR to record from")
    duration_s = parse_seconds(duration, "--duration") if duration else None
    if duration_s is not None and duration_s <= 0:
        raise EdgeharError("--duration must be positive")
    if out.exists() and not out.is_dir():
        raise EdgeharError(f"--out {out}: exists and is not a folder")
    source = link.open_cli_source(
        ble=ble, serial=serial, baud=baud, fmt=fmt, channels=channels, units=units, rate=rate, adapter=adapter
    )
    path = _take_path(out, label)
    recorder = Recorder(path, label=label, subject=subject, session=session)
    if not quiet:
        sys.stderr.write(f"recording '{label}' to {path} ({'Ctrl-C to stop' if duration_s is None else duration})\n")
    result = asyncio.run(_record(source, recorder, duration_s, quiet))
    if result["samples"] == 0:
        raise EdgeharError(f"no samples received from {serial or ble}; nothing was written")
    sys.stdout.write(f"{path}: {result['samples']} samples in {result['seconds']} s\n")


def register(app: typer.Typer) -> None:
    app.command("record", help=HELP)(record)
