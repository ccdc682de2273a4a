"""Per-channel IMU standardisation whose statistics come from the training split only.

The statistics travel with the model (run.json, model card) as plain lists, so the device
applies exactly what training applied; fitting on val/test would leak their distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgehar.errors import EdgeharError

# Floor on the std so a constant channel (a dead sensor axis) maps to 0 instead of inf.
MIN_STD = 1e-6


@dataclass(frozen=True)
class ImuStandardizer:
    """``(x - mean) / std`` per channel; ``mean``/``std`` are (C,) float32."""

    mean: np.ndarray
    std: np.ndarray

    def apply(self, imu: np.ndarray) -> np.ndarray:
        """Standardise IMU arrays laid out (..., C, L) (channels second to last)."""
        if imu.shape[-2] != self.mean.shape[0]:
            raise EdgeharError(f"IMU has {imu.shape[-2]} channels, standardiser was fit on {self.mean.shape[0]}")
        return ((imu - self.mean[:, None]) / self.std[:, None]).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists for run.json and the model card."""
        return {"imu_mean": [float(v) for v in self.mean], "imu_std": [float(v) for v in self.std]}

    @classmethod
    def from_dict(cls, d: dict) -> "ImuStandardizer":
        try:
            mean = np.asarray(d["imu_mean"], dtype=np.float32)
            std = np.asarray(d["imu_std"], dtype=np.float32)
        except KeyError as exc:
            raise EdgeharError(f"normalisation is missing key {exc}") from exc
        if mean.ndim != 1 or mean.shape != std.shape:
            raise EdgeharError(f"normalisation mean/std shapes {mean.shape}/{std.shape} differ or are not 1-D")
        if np.any(std <= 0) or not np.all(np.isfinite(mean)) or not np.all(np.isfinite(std)):
            raise EdgeharError("normalisation std must be positive and finite")
        return cls(mean, std)


def fit_imu_standardizer(imu: np.ndarray, indices: np.ndarray | None = None) -> ImuStandardizer:
    """Fit mean/std per channel over samples and time of ``imu`` (N, C, L), restricted to ``indices``
    (pass the training split's indices)."""
    x = imu if indices is None else imu[np.asarray(indices, dtype=np.int64)]
    if x.ndim != 3 or x.shape[0] == 0:
        raise EdgeharError(f"cannot fit IMU standardisation on an array of shape {x.shape}")
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(0, 2))
    std = np.maximum(x64.std(axis=(0, 2)), MIN_STD)
    return ImuStandardizer(mean.astype(np.float32), std.astype(np.float32))
