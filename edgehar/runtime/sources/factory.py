"""One entry point from command-line choices to a source: ``open_source(SourceSpec(...))``.

The CLI (``edgehar stream``, ``edgehar record``) fills a :class:`SourceSpec` from its flags; this
checks the combination and builds the source. Link libraries (pyserial, bleak) are imported only
by the source that needs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgehar.errors import EdgeharError
from edgehar.protocol import ChannelSpec, ConfigFrame
from edgehar.runtime.sources.backoff import Backoff
from edgehar.runtime.sources.base import Source, StreamInfo
from edgehar.runtime.sources.byte_stream import FORMATS


@dataclass(frozen=True)
class SourceSpec:
    """Exactly one of ``serial``, ``ble``, ``replay``; the rest tunes that link.

    - ``serial``: a port path or pyserial URL (``socket://127.0.0.1:7000``); ``baud``; ``format``
      ``binary`` | ``text`` | ``auto``.
    - ``ble``: a device address (``AA:BB:CC:DD:EE:FF``) or advertised name; ``adapter`` (``hci0``);
      ``scan_timeout_s``; ``format`` for what travels over the Nordic UART Service.
    - ``replay``: a recording ``.csv`` or UTD-MHAD ``*_inertial.mat``; ``speed`` ``1`` | N | ``max``;
      ``block_samples``.
    - ``channels``/``units`` name text-line columns (and frames from a device that sends no CONFIG,
      then with ``scales``, physical units per LSB); ``rate_hz`` is the device's nominal rate when the
      link does not say it.
    """

    serial: str | None = None
    ble: str | None = None
    replay: str | None = None
    baud: int = 115200
    format: str = "auto"
    speed: str | float | None = "1"
    channels: tuple[str, ...] | None = None
    units: tuple[str, ...] | None = None
    scales: tuple[float, ...] | None = None
    rate_hz: float | None = None
    adapter: str | None = None
    scan_timeout_s: float = 10.0
    block_samples: int | None = None
    max_backoff_s: float = 10.0


def text_info(spec: SourceSpec) -> StreamInfo | None:
    """What the user said about the columns of text lines, checked for consistency."""
    if spec.channels is None and spec.units is None:
        return None
    if spec.channels is None or spec.units is None:
        raise EdgeharError("--channels and --units go together (one unit per channel)")
    if len(spec.channels) != len(spec.units) or not spec.channels:
        raise EdgeharError(f"{len(spec.channels)} channels but {len(spec.units)} units: give one unit per channel")
    if spec.rate_hz is not None and not spec.rate_hz > 0:
        raise EdgeharError(f"--rate must be positive, got {spec.rate_hz}")
    return StreamInfo(tuple(spec.channels), tuple(spec.units), spec.rate_hz)


def fallback_config(spec: SourceSpec) -> ConfigFrame | None:
    """A CONFIG for binary frames from a device that never sends one (needs scales and a rate)."""
    info = text_info(spec)
    if spec.scales is None:
        return None
    if info is None or info.rate_hz is None:
        raise EdgeharError("--scales needs --channels, --units and --rate to describe frames without a CONFIG")
    if len(spec.scales) != len(info.channels) or not all(s > 0 for s in spec.scales):
        raise EdgeharError(f"--scales needs {len(info.channels)} positive values, one per channel")
    channels = tuple(ChannelSpec(c, u, s, 32768 * s) for c, u, s in zip(info.channels, info.units, spec.scales))
    return ConfigFrame(round(info.rate_hz * 1000), channels, "", "", 0)


def _rate(spec: SourceSpec) -> float | None:
    """The declared rate of text lines whose columns the user did not name."""
    if spec.rate_hz is not None and not spec.rate_hz > 0:
        raise EdgeharError(f"--rate must be positive, got {spec.rate_hz}")
    return spec.rate_hz


def open_source(spec: SourceSpec) -> Source:
    """The source ``spec`` describes; raises :class:`EdgeharError` for an impossible combination."""
    chosen = [name for name in ("serial", "ble", "replay") if getattr(spec, name)]
    if len(chosen) != 1:
        raise EdgeharError("choose exactly one source: --serial PORT, --ble ADDRESS|NAME or --replay FILE")
    if spec.format not in FORMATS:
        raise EdgeharError(f"--format must be one of {', '.join(FORMATS)}, got {spec.format!r}")
    if spec.max_backoff_s <= 0:
        raise EdgeharError("the reconnect backoff cap must be positive")
    backoff = Backoff(initial_s=min(0.1, spec.max_backoff_s), cap_s=spec.max_backoff_s)
    if spec.serial:
        from edgehar.runtime.sources.serial import SerialSource

        if spec.baud <= 0:
            raise EdgeharError(f"--baud must be positive, got {spec.baud}")
        return SerialSource(
            spec.serial, spec.baud, spec.format, text_info(spec), fallback_config(spec), backoff, _rate(spec)
        )
    if spec.ble:
        from edgehar.runtime.sources.ble import BleSource

        return BleSource(
            spec.ble, fmt=spec.format, text_info=text_info(spec), fallback=fallback_config(spec),
            adapter=spec.adapter, scan_timeout_s=spec.scan_timeout_s, backoff=backoff, text_rate_hz=_rate(spec),
        )
    from edgehar.runtime.sources.replay import ReplaySource, parse_speed

    return ReplaySource(spec.replay, parse_speed(spec.speed), spec.block_samples)  # type: ignore[arg-type]
