"""The model card: everything a device needs to feed an exported model, carried inside the file.

A Raspberry Pi or phone gets one file and nothing else, so the card travels inside it: in a
``.tflite`` as a custom metadata entry named ``edgehar`` (``Model.metadata`` -> a buffer holding the
card's UTF-8 JSON), in an ``.onnx`` as ``metadata_props["edgehar"]``. :func:`read_card` parses both
with the standard library only (a tiny FlatBuffers reader and a tiny protobuf reader), because the
runtime must not need tensorflow, torch or even the ``onnx`` package to learn how to call a model.

Preprocessing contract (what the runtime does before ``invoke``), all in the card:
1. take ``window_seconds`` of samples at ``source_rate_hz`` in ``channels`` order and ``units``;
2. resample each channel to ``window_steps`` points with the card's ``resample`` method, the one
   training used on whole clips (:func:`edgehar.resampling.resample`);
3. standardise per channel: ``(x - norm_mean) / norm_std``;
4. lay out as ``input.shape`` (``input_layout`` "NCW" = batch, channel, step);
5. if ``input.dtype`` is an integer type, quantize with ``input.scale`` / ``input.zero_point``;
6. dequantize the output the same way; the output is ``output_kind`` ("logits") over ``label_names``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from edgehar.errors import EdgeharError

CARD_KEY = "edgehar"
CARD_FORMAT = "edgehar-card/1"

_INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


@dataclass(frozen=True)
class TensorSpec:
    """Shape, element type and affine quantization of a model input or output.

    ``scale`` is 0.0 for float tensors (the TFLite convention for "not quantized").
    """

    shape: tuple[int, ...]
    dtype: str
    scale: float = 0.0
    zero_point: int = 0

    @property
    def quantized(self) -> bool:
        return self.dtype in _INT_RANGES and self.scale > 0.0


@dataclass(frozen=True)
class ModelCard:
    """What an exported edgehar model expects and predicts (see the module docstring)."""

    label_names: tuple[str, ...]
    source_rate_hz: float
    window_steps: int
    window_seconds: float
    default_hop_seconds: float
    channels: tuple[str, ...]
    units: tuple[str, ...]
    norm_mean: tuple[float, ...]
    norm_std: tuple[float, ...]
    input: TensorSpec
    output: TensorSpec
    input_layout: str = "NCW"
    output_kind: str = "logits"
    resample: str = "linear"
    precision: str = "float32"
    model: str = "student"
    model_sha256: str = ""
    run_id: str = ""
    dataset: str = ""
    protocol: str = ""
    edgehar_version: str = ""
    format: str = CARD_FORMAT
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.channels)
        if not (len(self.units) == len(self.norm_mean) == len(self.norm_std) == n) or n == 0:
            raise EdgeharError(
                f"model card: channels ({n}), units ({len(self.units)}), norm_mean "
                f"({len(self.norm_mean)}) and norm_std ({len(self.norm_std)}) must have the same non-zero length"
            )
        if self.input_layout not in ("NCW", "NWC"):
            raise EdgeharError(f"model card: input_layout must be NCW or NWC, got {self.input_layout!r}")
        if self.window_steps <= 0 or self.window_seconds <= 0 or self.source_rate_hz <= 0:
            raise EdgeharError("model card: window_steps, window_seconds and source_rate_hz must be positive")
        if any(s <= 0 for s in self.norm_std):
            raise EdgeharError("model card: norm_std must be positive for every channel")

    # -- derived values the runtime needs -------------------------------------------------
    @property
    def source_window_samples(self) -> int:
        """Number of raw samples at the source rate that make one window."""
        return max(1, round(self.window_seconds * self.source_rate_hz))

    @property
    def default_hop_samples(self) -> int:
        """Default hop between windows, in raw samples at the source rate."""
        return max(1, round(self.default_hop_seconds * self.source_rate_hz))

    # -- preprocessing / postprocessing ---------------------------------------------------
    def prepare(self, windows: np.ndarray) -> np.ndarray:
        """Raw windows (N, C, T) at the source rate -> model input (N, ...) in ``input.dtype``."""
        return quantize(self.normalize(windows), self.input)

    def normalize(self, windows: np.ndarray) -> np.ndarray:
        """Raw windows (N, C, T) -> float model input: resampled, standardised, laid out.

        Resampling to ``window_steps`` is skipped when T already equals it.
        """
        x = np.asarray(windows, dtype=np.float32)
        if x.ndim != 3 or x.shape[1] != len(self.channels):
            raise EdgeharError(
                f"model input: expected windows shaped (N, {len(self.channels)}, T), got {tuple(x.shape)}"
            )
        if x.shape[-1] != self.window_steps:
            from edgehar.resampling import resample

            x = resample(x, self.window_steps, self.resample, axis=-1).astype(np.float32, copy=False)
        mean = np.asarray(self.norm_mean, np.float32)[None, :, None]
        std = np.asarray(self.norm_std, np.float32)[None, :, None]
        x = (x - mean) / std
        if self.input_layout == "NWC":
            x = x.transpose(0, 2, 1)
        return x

    def logits(self, raw_output: np.ndarray) -> np.ndarray:
        """Model output tensor -> float logits (dequantized when the output is integer)."""
        return dequantize(np.asarray(raw_output), self.output)

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "model card") -> "ModelCard":
        try:
            raw = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise EdgeharError(f"{source}: the edgehar card is not valid JSON ({exc})") from None
        if not isinstance(raw, dict) or raw.get("format") != CARD_FORMAT:
            raise EdgeharError(f"{source}: not an {CARD_FORMAT} card (format={raw.get('format')!r})")
        known = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
        missing = sorted(required - raw.keys())
        if missing:
            raise EdgeharError(f"{source}: the edgehar card lacks {', '.join(missing)}")
        args = {k: v for k, v in raw.items() if k in known}
        try:
            for key in ("input", "output"):
                spec = dict(args[key])
                spec["shape"] = tuple(int(s) for s in spec["shape"])
                args[key] = TensorSpec(**spec)
            for key in ("label_names", "channels", "units", "norm_mean", "norm_std"):
                args[key] = tuple(args[key])
            return cls(**args)
        except (KeyError, TypeError, ValueError) as exc:
            raise EdgeharError(f"{source}: the edgehar card is malformed ({exc})") from None

    def with_updates(self, **changes: Any) -> "ModelCard":
        """A copy with some fields replaced (cards are frozen so one is never edited in place)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(changes)
        return ModelCard(**data)


# -- numeric helpers shared by export, eval and the runtime ---------------------------------
def quantize(x: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """Float -> the tensor's element type (affine int8/uint8/int16, or float16/float32)."""
    if spec.quantized:
        lo, hi = _INT_RANGES[spec.dtype]
        q = np.round(np.asarray(x, np.float32) / spec.scale + spec.zero_point)
        return np.clip(q, lo, hi).astype(spec.dtype)
    return np.asarray(x, dtype=spec.dtype)


def dequantize(q: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """The tensor's element type -> float32."""
    if spec.quantized:
        return (q.astype(np.float32) - spec.zero_point) * np.float32(spec.scale)
    return q.astype(np.float32)


# -- reading cards out of model files -------------------------------------------------------
def read_card(path: str | Path) -> ModelCard:
    """The card embedded in a ``.tflite`` or ``.onnx`` file (stdlib + numpy only)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise EdgeharError(f"{p}: cannot read model file ({exc.strerror})") from None
    if len(data) >= 8 and data[4:8] == b"TFL3":
        raw = tflite_metadata(data, p).get(CARD_KEY)
    elif p.suffix.lower() == ".onnx" or data[:1] == b"\x08":
        raw = onnx_metadata(data, p).get(CARD_KEY)
    else:
        raise EdgeharError(f"{p}: neither a TFLite flatbuffer nor an ONNX model")
    if raw is None:
        raise EdgeharError(f"{p}: no '{CARD_KEY}' model card inside (was it exported by edgehar?)")
    return ModelCard.from_json(raw, source=str(p))


class _FlatBuffer:
    """Just enough FlatBuffers to walk TFLite's Model.metadata and Model.buffers."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def u32(self, pos: int) -> int:
        return struct.unpack_from("<I", self.data, pos)[0]

    def field(self, table: int, index: int) -> int | None:
        """Absolute position of field ``index`` of the table at ``table``, or None if absent."""
        vtable = table - struct.unpack_from("<i", self.data, table)[0]
        vsize = struct.unpack_from("<H", self.data, vtable)[0]
        slot = 4 + 2 * index
        if slot >= vsize:
            return None
        off = struct.unpack_from("<H", self.data, vtable + slot)[0]
        return table + off if off else None

    def deref(self, pos: int) -> int:
        return pos + self.u32(pos)

    def vector(self, pos: int) -> tuple[int, int]:
        """(start, length) of the vector referenced at ``pos``."""
        vec = self.deref(pos)
        return vec + 4, self.u32(vec)

    def table_vector(self, table: int, index: int) -> list[int]:
        pos = self.field(table, index)
        if pos is None:
            return []
        start, n = self.vector(pos)
        return [self.deref(start + 4 * i) for i in range(n)]

    def string(self, pos: int) -> str:
        start, n = self.vector(pos)
        return self.data[start : start + n].decode("utf-8")


def tflite_metadata(data: bytes, source: Path | str = "model") -> dict[str, bytes]:
    """Name -> bytes of every ``Model.metadata`` entry of a TFLite flatbuffer."""
    fb = _FlatBuffer(data)
    try:
        model = fb.deref(0)
        buffers = fb.table_vector(model, 4)  # Model.buffers
        out: dict[str, bytes] = {}
        for meta in fb.table_vector(model, 6):  # Model.metadata
            name_pos = fb.field(meta, 0)
            buf_pos = fb.field(meta, 1)
            if name_pos is None:
                continue
            index = fb.u32(buf_pos) if buf_pos is not None else 0
            buf = buffers[index]
            data_pos = fb.field(buf, 0)
            if data_pos is not None:
                start, n = fb.vector(data_pos)
                payload = data[start : start + n]
            else:  # large models store buffers after the flatbuffer: Buffer.offset/size
                off_pos, size_pos = fb.field(buf, 1), fb.field(buf, 2)
                off = struct.unpack_from("<Q", data, off_pos)[0] if off_pos is not None else 0
                size = struct.unpack_from("<Q", data, size_pos)[0] if size_pos is not None else 0
                payload = data[off : off + size]
            out[fb.string(name_pos)] = bytes(payload)
        return out
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise EdgeharError(f"{source}: corrupt TFLite flatbuffer ({exc})") from None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _proto_fields(data: bytes, start: int = 0, end: int | None = None):
    """Yield (field number, wire type, value) of a protobuf message; LEN values as (start, end)."""
    pos, end = start, len(data) if end is None else end
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(data, pos)
            value, pos = (pos, pos + n), pos + n
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > end:
            raise ValueError("truncated protobuf message")
        yield number, wire, value


def onnx_metadata(data: bytes, source: Path | str = "model") -> dict[str, str]:
    """``ModelProto.metadata_props`` (field 14) of a serialized ONNX model, as a dict."""
    out: dict[str, str] = {}
    try:
        for number, wire, value in _proto_fields(data):
            if number != 14 or wire != 2:
                continue
            key = val = ""
            for sub, sub_wire, span in _proto_fields(data, *value):
                if sub_wire == 2 and sub in (1, 2):
                    text = data[span[0] : span[1]].decode("utf-8")
                    key, val = (text, val) if sub == 1 else (key, text)
            out[key] = val
        return out
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise EdgeharError(f"{source}: corrupt ONNX model ({exc})") from None
