"""Turns decoded protocol frames into what a source yields: blocks in physical units and events.

DATA frames mean nothing without the CONFIG frame that gives their channels and scales, and a
host that joins a running serial stream sees DATA first. Those frames are held (a few seconds'
worth) until the CONFIG arrives, then released in order, so joining late loses nothing.
"""

from __future__ import annotations

from collections import deque

from edgehar.protocol import ConfigFrame, DataFrame, Frame
from edgehar.runtime.sources.base import Block, Item, LinkEvent, StreamInfo

#: DATA frames held while waiting for the first CONFIG (10 s at 100 notifications a second).
MAX_HELD_FRAMES = 1000


def config_info(config: ConfigFrame) -> StreamInfo:
    return StreamInfo(
        channels=config.labels,
        units=config.units,
        rate_hz=config.sample_rate_hz,
        device_name=config.device_name or None,
        firmware=config.firmware or None,
    )


class FrameBlocks:
    """Per link: the current CONFIG, the frames waiting for it, and the items to yield.

    ``fallback`` is a CONFIG the user described (channels, units, scales) for links that never
    send one (NUS at a small MTU); :meth:`use_fallback` applies it when the device stays silent.
    After :meth:`reset` (a new connection) the next CONFIG produces a ``connected`` event; later
    changes produce ``info`` events.
    """

    def __init__(self, fallback: ConfigFrame | None = None) -> None:
        self.fallback = fallback
        self.config: ConfigFrame | None = None
        self._announced = False
        self._held: deque[tuple[DataFrame, float]] = deque()
        self.dropped_waiting = 0

    @property
    def waiting_for_config(self) -> bool:
        return self.config is None

    @property
    def channels(self) -> int | None:
        return None if self.config is None else len(self.config.channels)

    def reset(self) -> None:
        """A new connection: announce again; keep the config until the device sends a new one."""
        self._announced = False
        self._held.clear()

    def use_fallback(self, host_time: float) -> list[Item]:
        """Apply the user's CONFIG when the device sent none; returns the items it releases."""
        if self.fallback is None or not self.waiting_for_config:
            return []
        return self.frame(self.fallback, host_time, detail="no CONFIG from the device; using the given channels")

    def frame(self, frame: Frame, host_time: float, detail: str = "") -> list[Item]:
        """Items for one decoded frame (CONTROL frames never reach a host and are ignored)."""
        if isinstance(frame, ConfigFrame):
            return self._config(frame, host_time, detail)
        if isinstance(frame, DataFrame):
            if self.config is None or not self._announced:
                if len(self._held) == MAX_HELD_FRAMES:
                    self._held.popleft()
                    self.dropped_waiting += 1
                self._held.append((frame, host_time))
                if self.config is not None and not self._announced:
                    return self._announce(host_time, detail)
                return []
            return self._data(frame, host_time)
        return []

    def _config(self, config: ConfigFrame, host_time: float, detail: str) -> list[Item]:
        changed = self.config is None or config_info(config) != config_info(self.config)
        self.config = config
        if not self._announced:
            return self._announce(host_time, detail)
        if changed:
            return [LinkEvent("info", detail or "device CONFIG changed", info=config_info(config))]
        return []

    def _announce(self, host_time: float, detail: str) -> list[Item]:
        assert self.config is not None
        self._announced = True
        items: list[Item] = [LinkEvent("connected", detail or describe(self.config), info=config_info(self.config))]
        if self.dropped_waiting:
            items.append(LinkEvent("corrupt", "DATA frames dropped while waiting for CONFIG", count=self.dropped_waiting))
            self.dropped_waiting = 0
        held, self._held = self._held, deque()
        for frame, arrived in held:
            items.extend(self._data(frame, arrived))
        return items

    def _data(self, frame: DataFrame, host_time: float) -> list[Item]:
        assert self.config is not None
        if frame.n_channels != len(self.config.channels):
            return [LinkEvent("corrupt", f"DATA seq {frame.seq}: {frame.n_channels} channels, CONFIG says "
                                         f"{len(self.config.channels)}")]
        return [Block(self.config.to_physical(frame), frame.seq, frame.device_time_us, host_time)]


def describe(config: ConfigFrame) -> str:
    """One line for logs: who is streaming what."""
    name = config.device_name or "device"
    fw = f" ({config.firmware})" if config.firmware else ""
    return f"{name}{fw}: {len(config.channels)} channels at {config.sample_rate_hz:g} Hz"
