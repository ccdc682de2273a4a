"""A small reader for numeric arrays in MATLAB 5 ``.mat`` files, such as UTD-MHAD's ``d_iner``.

``scipy.io`` takes about 0.3 s to import, most of a replay's start-up budget on a Raspberry Pi; a
level-5 MAT file holding one numeric matrix is simple enough to read with ``zlib`` and numpy.
Anything this does not handle (v7.3/HDF5 files, big-endian files, complex, sparse or cell data)
raises :class:`UnsupportedMat`, and the caller falls back to ``scipy.io``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

_MI_DTYPES = {1: "<i1", 2: "<u1", 3: "<i2", 4: "<u2", 5: "<i4", 6: "<u4", 7: "<f4", 9: "<f8", 12: "<i8", 13: "<u8"}
_MI_MATRIX = 14
_MI_COMPRESSED = 15
#: mxCLASS ids of numeric arrays and the dtype MATLAB means by them.
_CLASS_DTYPES = {6: np.float64, 7: np.float32, 8: np.int8, 9: np.uint8, 10: np.int16, 11: np.uint16,
                 12: np.int32, 13: np.uint32, 14: np.int64, 15: np.uint64}
_COMPLEX = 0x0800
_HEADER = 128


class UnsupportedMat(Exception):
    """The file is valid but uses a feature this reader leaves to scipy."""


def _element(buf: bytes, pos: int) -> tuple[int, bytes, int]:
    """(type, payload, next position) of the data element at ``pos``."""
    if pos + 8 > len(buf):
        raise UnsupportedMat("truncated data element")
    tag, size = struct.unpack_from("<II", buf, pos)
    if tag >> 16:  # small data element: type and size share the first word, data the second
        kind, size = tag & 0xFFFF, tag >> 16
        return kind, buf[pos + 4 : pos + 4 + size], pos + 8
    end = pos + 8 + size
    if end > len(buf):
        raise UnsupportedMat("data element runs past the end of the file")
    padded = end if tag == _MI_COMPRESSED else pos + 8 + (size + 7) // 8 * 8
    return tag, buf[pos + 8 : end], padded


def _matrix(payload: bytes) -> tuple[str, np.ndarray | None]:
    """Name and value of a miMATRIX element; the value is None for non-numeric classes."""
    kind, flags, pos = _element(payload, 0)
    if kind != 6 or len(flags) < 8:
        raise UnsupportedMat("matrix without array flags")
    word = struct.unpack_from("<I", flags)[0]
    mx_class = word & 0xFF
    kind, dims_raw, pos = _element(payload, pos)
    dims = tuple(int(d) for d in np.frombuffer(dims_raw, "<i4"))
    kind, name_raw, pos = _element(payload, pos)
    name = name_raw.decode("ascii", errors="replace")
    if mx_class not in _CLASS_DTYPES:
        return name, None
    if word & _COMPLEX:
        raise UnsupportedMat(f"'{name}' is complex")
    kind, real, pos = _element(payload, pos)
    if kind not in _MI_DTYPES:
        raise UnsupportedMat(f"'{name}' stored as data type {kind}")
    values = np.frombuffer(real, _MI_DTYPES[kind])
    if values.size != int(np.prod(dims)):
        raise UnsupportedMat(f"'{name}' holds {values.size} values for dimensions {dims}")
    # MATLAB stores small-valued doubles as smaller integer types; the class says what they are.
    return name, values.astype(_CLASS_DTYPES[mx_class]).reshape(dims, order="F")


def read_mat_array(path: str | Path, key: str) -> np.ndarray | None:
    """The numeric array named ``key`` in a level-5 MAT file, or None if the file has no such name."""
    buf = Path(path).read_bytes()
    if len(buf) < _HEADER or not buf.startswith(b"MATLAB 5.0 MAT-file"):
        raise UnsupportedMat("not a level-5 MAT file (v7.3 files are HDF5)")
    if buf[126:128] != b"IM":
        raise UnsupportedMat("big-endian MAT file")
    pos = _HEADER
    while pos + 8 <= len(buf):
        kind, payload, pos = _element(buf, pos)
        if kind == _MI_COMPRESSED:
            try:
                inner = zlib.decompress(payload)
            except zlib.error as exc:
                raise UnsupportedMat(f"bad compressed element ({exc})") from exc
            kind, payload, _ = _element(inner, 0)
        if kind == _MI_MATRIX:
            name, value = _matrix(payload)
            if name == key:
                if value is None:
                    raise UnsupportedMat(f"'{key}' is not a numeric array")
                return value
    return None
