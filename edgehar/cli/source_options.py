"""The link options ``stream`` and ``record`` share, declared once, turned into a source.

Text-line boards need their columns named (``--channels ax,ay,az --units g,g,g``), a few need a
rate (``--rate 119``); everything else comes from the device's CONFIG frame or the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from edgehar.errors import EdgeharError

if TYPE_CHECKING:  # numpy stays out of ``edgehar --help``
    from edgehar.runtime.sources.base import Source

# Parameter types for typer commands: ``ble: BleOption = None`` etc., so both commands read alike.
BleOption = Annotated[Optional[str], typer.Option("--ble", help="BLE device address or name.")]
SerialOption = Annotated[
    Optional[str], typer.Option("--serial", help="Serial port (or a pyserial URL like socket://host:port).")
]
BaudOption = Annotated[int, typer.Option("--baud", help="Serial baud rate (ignored by USB CDC boards).")]
FormatOption = Annotated[
    str, typer.Option("--format", help="Wire format: auto, binary (edgehar frames) or text (CSV lines).")
]
ChannelsOption = Annotated[
    Optional[str], typer.Option("--channels", help="Names of text-line columns, e.g. ax,ay,az,gx,gy,gz.")
]
UnitsOption = Annotated[
    Optional[str], typer.Option("--units", help="Units of those columns, e.g. g,g,g,deg/s,deg/s,deg/s.")
]
RateOption = Annotated[
    Optional[float], typer.Option("--rate", help="Device sample rate in Hz when the link does not say it.")
]
AdapterOption = Annotated[Optional[str], typer.Option("--adapter", help="Bluetooth adapter (e.g. hci0).")]


def _names(text: str | None, flag: str) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(part.strip() for part in text.split(","))
    if not all(names):
        raise EdgeharError(f"{flag}: empty name in {text!r} (comma-separated, e.g. ax,ay,az)")
    return names


def open_cli_source(
    *,
    ble: str | None = None,
    serial: str | None = None,
    baud: int = 115200,
    replay: Path | None = None,
    speed: str = "1",
    fmt: str = "auto",
    channels: str | None = None,
    units: str | None = None,
    rate: float | None = None,
    adapter: str | None = None,
) -> Source:
    """The source the user named (exactly one of --ble, --serial, --replay)."""
    from edgehar.runtime.sources.factory import SourceSpec, open_source

    return open_source(
        SourceSpec(
            serial=serial,
            ble=ble,
            replay=str(replay) if replay is not None else None,
            baud=baud,
            format=fmt,
            speed=speed,
            channels=_names(channels, "--channels"),
            units=_names(units, "--units"),
            rate_hz=rate,
            adapter=adapter,
        )
    )
