"""The interface every sample source implements, so the pipeline never knows the link.

A source is an async iterator of :class:`Block` (samples) and :class:`LinkEvent` (what happened to
the link). It reconnects on its own; the pipeline only sees events and the blocks that follow.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import AsyncIterator, Literal, Union

import numpy as np


@dataclass(frozen=True)
class StreamInfo:
    """What the device says about its stream (from a config frame, the CLI, or the file)."""

    channels: tuple[str, ...]
    units: tuple[str, ...]
    rate_hz: float | None = None
    device_name: str | None = None
    firmware: str | None = None


@dataclass(frozen=True)
class Block:
    """Consecutive samples as received.

    ``samples`` is (n, C) float32 in ``StreamInfo.units``. ``seq`` is the frame's 16-bit sequence
    number (None for text lines), ``device_time_us`` the device clock at the first sample (None when
    the link carries no time), ``host_time`` the host's ``time.monotonic()`` at receipt.
    """

    samples: np.ndarray
    seq: int | None
    device_time_us: int | None
    host_time: float


EventKind = Literal["connected", "lost", "reconnecting", "corrupt", "info"]


@dataclass(frozen=True)
class LinkEvent:
    """Something that happened to the link; ``corrupt`` counts frames dropped by the decoder."""

    kind: EventKind
    detail: str = ""
    count: int = 1
    info: StreamInfo | None = field(default=None)


Item = Union[Block, LinkEvent]


class Source(abc.ABC):
    """A live or replayed IMU stream. ``info`` is valid once the first ``connected`` event is out."""

    info: StreamInfo | None = None

    @abc.abstractmethod
    def __aiter__(self) -> AsyncIterator[Item]:
        """Yield blocks and events until the stream ends or :meth:`close` is called."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop reading and release the link; the iterator then ends."""
