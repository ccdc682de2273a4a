"""The link options ``stream`` and ``record`` share, turned into a source.

Text-line boards need their columns named (``--channels ax,ay,az --units g,g,g``), a few need a
rate (``--rate 119``); everything else comes from the device's CONFIG frame or the file.
"""

from __future__ import annotations

from pathlib import Path

from edgehar.errors import EdgeharError
from edgehar.runtime.sources.base import Source


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
