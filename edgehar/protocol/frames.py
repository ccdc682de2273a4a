"""The three frame kinds of the edgehar wire protocol and their byte encoding (PROTOCOL.md section 1).

Transport-free: the same bytes travel inside COBS + CRC on serial links and as one BLE
notification. Samples are unpacked with one ``numpy.frombuffer`` call per frame, not per value.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Union

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.protocol.frame_error import FrameError

PROTOCOL_VERSION = 1
HEADER_SIZE = 8
MAX_PAYLOAD = 512
MAX_CHANNELS = 16
MAX_NAME_BYTES = 31
MAX_LABEL_BYTES = 15
CONTROL_SIZE = 3

_DATA_HEADER = struct.Struct("<BBHI")
_CONFIG_HEAD = struct.Struct("<BBBBI")
_F32X2 = struct.Struct("<ff")


class FrameType(IntEnum):
    """Low nibble of the first byte."""

    DATA = 1
    CONFIG = 2
    CONTROL = 3


class Opcode(IntEnum):
    """What a CONTROL frame asks the device to do."""

    REQUEST_CONFIG = 1
    START = 2
    STOP = 3
    SET_SAMPLES_PER_FRAME = 4


def ver_type(frame_type: FrameType) -> int:
    """First byte of a version-1 frame of ``frame_type``."""
    return (PROTOCOL_VERSION << 4) | int(frame_type)


@dataclass(frozen=True, eq=False)
class DataFrame:
    """``samples`` is (n, C) int16 raw sensor counts; ``device_time_us`` is the first sample's time."""

    seq: int
    device_time_us: int
    samples: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.samples.shape[1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataFrame):
            return NotImplemented
        return (
            self.seq == other.seq
            and self.device_time_us == other.device_time_us
            and self.samples.shape == other.samples.shape
            and bool(np.array_equal(self.samples, other.samples))
        )

    __hash__ = None  # type: ignore[assignment]


def _f32(value: float) -> float:
    """Round to binary32 so a spec compares equal to its decoded self."""
    return float(np.float32(value))


@dataclass(frozen=True)
class ChannelSpec:
    """One channel: physical value = raw int16 x ``scale`` in ``unit``; ``range`` is the +/- full scale."""

    label: str
    unit: str
    scale: float
    range: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", _f32(self.scale))
        object.__setattr__(self, "range", _f32(self.range))


@dataclass(frozen=True)
class ConfigFrame:
    """What the DATA frames that follow mean: rate, channel order, units, scales, device identity."""

    rate_mhz: int
    channels: tuple[ChannelSpec, ...]
    device_name: str
    firmware: str
    samples_per_frame: int
    flags: int = 0
    _scales: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        scales = np.array([c.scale for c in self.channels], dtype=np.float32)
        object.__setattr__(self, "_scales", scales)

    @property
    def sample_rate_hz(self) -> float:
        return self.rate_mhz / 1000.0

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.channels)

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(c.unit for c in self.channels)

    @property
    def scales(self) -> np.ndarray:
        """(C,) float32, physical units per LSB."""
        return self._scales

    def to_physical(self, frame: DataFrame) -> np.ndarray:
        """(n, C) float32 samples of ``frame`` in this config's units."""
        if frame.n_channels != len(self.channels):
            raise FrameError(
                "length", f"DATA frame seq {frame.seq} has {frame.n_channels} channels, config announces {len(self.channels)}"
            )
        return frame.samples.astype(np.float32) * self._scales


@dataclass(frozen=True)
class ControlFrame:
    """A host-to-device command (``arg`` is 0 unless the opcode takes one)."""

    opcode: int
    arg: int = 0


Frame = Union[DataFrame, ConfigFrame, ControlFrame]


def frame_type(frame: Frame) -> FrameType:
    """The :class:`FrameType` of a decoded frame object."""
    if isinstance(frame, DataFrame):
        return FrameType.DATA
    if isinstance(frame, ConfigFrame):
        return FrameType.CONFIG
    return FrameType.CONTROL


def _encode_str(text: str, limit: int, what: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > limit:
        raise EdgeharError(f"{what} {text!r} is {len(raw)} bytes in UTF-8; the protocol allows {limit}")
    return bytes([len(raw)]) + raw


def encode_data(seq: int, device_time_us: int, samples: np.ndarray) -> bytes:
    """Bytes of a DATA frame; ``samples`` (n, C) integers within int16."""
    arr = np.asarray(samples)
    if arr.ndim != 2 or not 1 <= arr.shape[0] <= 255 or not 1 <= arr.shape[1] <= MAX_CHANNELS:
        raise EdgeharError(f"DATA samples must be (1..255, 1..{MAX_CHANNELS}), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise EdgeharError(f"DATA samples must be integers (raw int16 counts), got {arr.dtype}")
    if arr.size and (arr.min() < -32768 or arr.max() > 32767):
        raise EdgeharError("DATA samples must lie within int16 (-32768..32767)")
    if not 0 <= seq <= 0xFFFF or not 0 <= device_time_us <= 0xFFFFFFFF:
        raise EdgeharError(f"DATA seq {seq} must fit u16 and device time {device_time_us} u32")
    length = HEADER_SIZE + 2 * arr.size
    if length > MAX_PAYLOAD:
        raise EdgeharError(f"DATA frame of {arr.shape[0]} x {arr.shape[1]} samples is {length} bytes; max {MAX_PAYLOAD}")
    header = _DATA_HEADER.pack(ver_type(FrameType.DATA), arr.shape[0], seq, device_time_us)
    return header + arr.astype("<i2").tobytes()


def encode_frame(frame: Frame) -> bytes:
    """Bytes of any frame, validated against the limits of PROTOCOL.md."""
    if isinstance(frame, DataFrame):
        return encode_data(frame.seq, frame.device_time_us, frame.samples)
    if isinstance(frame, ConfigFrame):
        n_ch = len(frame.channels)
        if not 1 <= n_ch <= MAX_CHANNELS:
            raise EdgeharError(f"CONFIG must list 1..{MAX_CHANNELS} channels, got {n_ch}")
        if not 1 <= frame.rate_mhz <= 0xFFFFFFFF or not 0 <= frame.samples_per_frame <= 255:
            raise EdgeharError(f"CONFIG rate {frame.rate_mhz} mHz or samples per frame {frame.samples_per_frame} out of range")
        parts = [
            _CONFIG_HEAD.pack(ver_type(FrameType.CONFIG), n_ch, frame.samples_per_frame, frame.flags & 0xFF, frame.rate_mhz),
            _encode_str(frame.device_name, MAX_NAME_BYTES, "device name"),
            _encode_str(frame.firmware, MAX_NAME_BYTES, "firmware version"),
        ]
        for ch in frame.channels:
            if not (math.isfinite(ch.scale) and ch.scale > 0 and math.isfinite(ch.range) and ch.range > 0):
                raise EdgeharError(f"channel {ch.label!r}: scale and range must be finite and > 0")
            parts += [
                _encode_str(ch.label, MAX_LABEL_BYTES, "channel label"),
                _encode_str(ch.unit, MAX_LABEL_BYTES, "channel unit"),
                _F32X2.pack(ch.scale, ch.range),
            ]
        payload = b"".join(parts)
        if len(payload) > MAX_PAYLOAD:
            raise EdgeharError(f"CONFIG frame is {len(payload)} bytes; max {MAX_PAYLOAD}")
        return payload
    if isinstance(frame, ControlFrame):
        if not 0 <= frame.opcode <= 255 or not 0 <= frame.arg <= 255:
            raise EdgeharError(f"CONTROL opcode {frame.opcode} and arg {frame.arg} must be bytes")
        return bytes([ver_type(FrameType.CONTROL), frame.opcode, frame.arg])
    raise EdgeharError(f"not a frame: {type(frame).__name__}")


def _decode_data(payload: bytes, channels: int | None) -> DataFrame:
    if len(payload) < HEADER_SIZE:
        raise FrameError("length", f"DATA frame of {len(payload)} bytes is shorter than its {HEADER_SIZE}-byte header")
    _, n, seq, t0 = _DATA_HEADER.unpack_from(payload)
    body = len(payload) - HEADER_SIZE
    if n == 0:
        raise FrameError("length", f"DATA frame seq {seq} announces 0 samples")
    if channels is None:
        if body == 0 or body % (2 * n) or body // (2 * n) > MAX_CHANNELS:
            raise FrameError("length", f"DATA frame seq {seq}: {body} sample bytes do not split into {n} samples")
        channels = body // (2 * n)
    elif body != 2 * n * channels:
        raise FrameError(
            "length", f"DATA frame seq {seq}: {body} sample bytes, expected {2 * n * channels} for {n} x {channels}"
        )
    samples = np.frombuffer(payload, dtype="<i2", count=n * channels, offset=HEADER_SIZE).reshape(n, channels)
    return DataFrame(seq=seq, device_time_us=t0, samples=samples.astype(np.int16, copy=False))


class _Reader:
    """Bounds-checked cursor so every overrun becomes a FrameError, never an IndexError."""

    def __init__(self, payload: bytes, pos: int) -> None:
        self.payload = payload
        self.pos = pos

    def take(self, size: int, what: str) -> bytes:
        end = self.pos + size
        if end > len(self.payload):
            raise FrameError("length", f"CONFIG frame ends inside {what} (offset {self.pos})")
        chunk = self.payload[self.pos : end]
        self.pos = end
        return chunk

    def string(self, limit: int, what: str) -> str:
        size = self.take(1, what)[0]
        if size > limit:
            raise FrameError("length", f"CONFIG {what} is {size} bytes; the protocol allows {limit}")
        try:
            return self.take(size, what).decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError("length", f"CONFIG {what} is not valid UTF-8") from None


def _decode_config(payload: bytes) -> ConfigFrame:
    if len(payload) < _CONFIG_HEAD.size:
        raise FrameError("length", f"CONFIG frame of {len(payload)} bytes is shorter than its header")
    _, n_ch, spf, flags, rate_mhz = _CONFIG_HEAD.unpack_from(payload)
    if not 1 <= n_ch <= MAX_CHANNELS:
        raise FrameError("length", f"CONFIG announces {n_ch} channels; allowed 1..{MAX_CHANNELS}")
    if rate_mhz == 0:
        raise FrameError("length", "CONFIG announces a sample rate of 0")
    reader = _Reader(payload, _CONFIG_HEAD.size)
    name = reader.string(MAX_NAME_BYTES, "device name")
    firmware = reader.string(MAX_NAME_BYTES, "firmware version")
    channels = []
    for i in range(n_ch):
        label = reader.string(MAX_LABEL_BYTES, f"channel {i} label")
        unit = reader.string(MAX_LABEL_BYTES, f"channel {i} unit")
        scale, rng = _F32X2.unpack(reader.take(8, f"channel {i} scale/range"))
        if not (math.isfinite(scale) and scale > 0 and math.isfinite(rng) and rng > 0):
            raise FrameError("length", f"CONFIG channel {label!r}: scale {scale} and range {rng} must be finite and > 0")
        channels.append(ChannelSpec(label, unit, scale, rng))
    if reader.pos != len(payload):
        raise FrameError("length", f"CONFIG frame has {len(payload) - reader.pos} bytes after its last channel")
    return ConfigFrame(
        rate_mhz=rate_mhz, channels=tuple(channels), device_name=name, firmware=firmware,
        samples_per_frame=spf, flags=flags,
    )


def decode_frame(payload: bytes | bytearray | memoryview, channels: int | None = None) -> Frame:
    """Parse one frame; ``channels`` is the configured C (None: infer it from a DATA frame's length).

    Raises :class:`FrameError` with the PROTOCOL.md section-4 reason for anything a receiver drops.
    """
    data = bytes(payload)
    if not data:
        raise FrameError("short", "empty frame")
    if len(data) > MAX_PAYLOAD:
        raise FrameError("too_long", f"frame of {len(data)} bytes exceeds {MAX_PAYLOAD}")
    version, ftype = data[0] >> 4, data[0] & 0x0F
    if version != PROTOCOL_VERSION:
        raise FrameError("version", f"frame of protocol version {version}; this receiver speaks {PROTOCOL_VERSION}")
    if ftype == FrameType.DATA:
        return _decode_data(data, channels)
    if ftype == FrameType.CONFIG:
        return _decode_config(data)
    if ftype == FrameType.CONTROL:
        if len(data) != CONTROL_SIZE:
            raise FrameError("length", f"CONTROL frame of {len(data)} bytes; expected {CONTROL_SIZE}")
        return ControlFrame(opcode=data[1], arg=data[2])
    raise FrameError("type", f"unknown frame type {ftype}")
