"""Resampling a clip or window to a fixed number of steps: one implementation for training,
export and the runtime, so a window on the device is resampled exactly as training clips were.

numpy only (scipy is imported for ``polyphase`` alone): importing ``scipy.signal`` costs more than
the runtime's whole start-up budget, so ``fft`` reimplements ``scipy.signal.resample`` for real
input (the tests hold it equal to scipy).
"""

from __future__ import annotations

from math import gcd

import numpy as np

from edgehar.errors import EdgeharError

METHODS = ("fft", "polyphase", "linear")


def resample(x: np.ndarray, length: int, method: str, axis: int = 0) -> np.ndarray:
    """Resample ``x`` along ``axis`` to ``length`` points.

    ``fft``: periodic band-limited (the reference code's ``scipy.signal.resample``); ``polyphase``:
    anti-aliased FIR without the FFT's wrap-around ringing; ``linear``: endpoints kept.
    """
    n = x.shape[axis]
    if n == length:
        return x.copy()
    if method == "fft":
        return np.moveaxis(_fft_resample(np.moveaxis(x, axis, 0), length), 0, axis)
    if method == "polyphase":
        from scipy.signal import resample_poly

        g = gcd(length, n)
        out = resample_poly(x, length // g, n // g, axis=axis, padtype="line")
        return np.take(out, np.arange(length), axis=axis)
    if method == "linear":
        moved = np.moveaxis(x, axis, 0)
        if n < 2:
            return np.moveaxis(np.repeat(moved, length, axis=0), 0, axis)
        pos = np.linspace(0.0, n - 1, length)
        i0 = np.minimum(np.floor(pos).astype(np.int64), n - 2)
        frac = (pos - i0).reshape((-1,) + (1,) * (x.ndim - 1))
        return np.moveaxis(moved[i0] * (1.0 - frac) + moved[i0 + 1] * frac, 0, axis)
    raise EdgeharError(f"unknown resample method '{method}' ({', '.join(METHODS)})")


def _fft_resample(x: np.ndarray, length: int) -> np.ndarray:
    """``scipy.signal.resample(x, length, axis=0)`` for real ``x``, with numpy's FFT."""
    n = x.shape[0]
    spectrum = np.fft.rfft(x, axis=0)
    out = np.zeros((length // 2 + 1,) + x.shape[1:], spectrum.dtype)
    m = min(length, n)
    keep = m // 2 + 1
    out[:keep] = spectrum[:keep]
    if m % 2 == 0:
        # The Nyquist bin of the shorter length is shared by +/- frequencies: split or join it.
        out[m // 2] *= 2.0 if length < n else 0.5
    return np.fft.irfft(out, length, axis=0) * (length / n)
