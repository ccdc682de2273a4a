"""Turn variable-length samples into fixed-size arrays that models and splits work on.

Resampling methods (``PreprocessConfig.resample``):

- ``fft`` (default, as the reference code: ``scipy.signal.resample``). Treats each clip as one
  period of a periodic signal, so a clip whose end differs from its start (sit-to-stand, a throw)
  rings at both ends (Gibbs).
- ``polyphase`` (``scipy.signal.resample_poly`` with an anti-aliasing FIR and linear edge padding):
  no wrap-around ringing; the better choice for new models, not bit-compatible with the reference.
- ``linear``: plain interpolation, no anti-aliasing; what a microcontroller can do cheaply.

Skeletons with the Kinect joint set are recentred on the spine of the first frame and divided by
the shoulder-centre-to-spine distance of the first frame (``skeleton_normalize="auto"`` does this
for skeletons that have those joints and leaves 2-D image keypoints, e.g. MMAct, untouched, as the
reference does). IMU data is *not* standardised here: statistics must come from the training split
only (``edgehar.data.normalize``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgehar.data.sample import RawDataset, Sample
from edgehar.resampling import resample
from edgehar.errors import EdgeharError


class PreprocessConfig(BaseModel):
    """How raw clips become fixed-length arrays; part of the cache key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    length: int = Field(50, ge=4, le=100_000, description="time steps per sample after resampling")
    resample: Literal["fft", "polyphase", "linear"] = "fft"
    skeleton_normalize: Literal["auto", "first_frame", "none"] = "auto"
    center_joint: int = Field(2, ge=0, description="joint whose first-frame position becomes the origin (2 = spine)")
    scale_joints: tuple[int, int] = (1, 2)

    @model_validator(mode="after")
    def _distinct_scale_joints(self) -> "PreprocessConfig":
        if self.scale_joints[0] == self.scale_joints[1]:
            raise ValueError("scale_joints must name two different joints")
        return self


@dataclass
class PreparedDataset:
    """Fixed-size arrays of a whole dataset (contract in docs/architecture.md)."""

    imu: np.ndarray  # (N, C, L) float32, not standardised
    skeleton: np.ndarray | None  # (N, D, L, J) float32
    labels: np.ndarray  # (N,) int64, 0-based
    subjects: np.ndarray
    trials: np.ndarray
    sessions: np.ndarray
    scenes: np.ndarray
    durations_s: np.ndarray  # (N,) float64, raw clip duration
    sources: tuple[str, ...]
    label_names: tuple[str, ...]
    imu_channels: tuple[str, ...]
    imu_units: tuple[str, ...]
    imu_rate_hz: float
    joint_names: tuple[str, ...]
    name: str
    layout: str
    skipped: tuple[str, ...] = field(default=())

    ARRAY_FIELDS = ("imu", "skeleton", "labels", "subjects", "trials", "sessions", "scenes", "durations_s")

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    def subset(self, indices: np.ndarray) -> "PreparedDataset":
        """The same dataset restricted to ``indices`` (metadata shared)."""
        idx = np.asarray(indices, dtype=np.int64)
        values = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in self.ARRAY_FIELDS:
                values[f.name] = None if v is None else v[idx]
            elif f.name == "sources":
                values[f.name] = tuple(v[i] for i in idx)
            else:
                values[f.name] = v
        return PreparedDataset(**values)

    def metadata(self) -> dict:
        """Everything but the arrays, as plain JSON types."""
        return {
            f.name: list(getattr(self, f.name)) if isinstance(getattr(self, f.name), tuple) else getattr(self, f.name)
            for f in fields(self)
            if f.name not in self.ARRAY_FIELDS
        }


def _normalize_skeleton(skel: np.ndarray, cfg: PreprocessConfig, joint_names: tuple[str, ...], source: str) -> np.ndarray:
    """Recentre on the first frame's centre joint and scale by the first frame's reference bone."""
    mode = cfg.skeleton_normalize
    if mode == "auto":
        mode = "first_frame" if skel.shape[2] == 3 and {"spine", "shoulder_center"} <= set(joint_names) else "none"
    if mode == "none":
        return skel
    j = skel.shape[1]
    if max(cfg.center_joint, *cfg.scale_joints) >= j:
        raise EdgeharError(f"{source}: skeleton has {j} joints; center_joint/scale_joints out of range")
    out = skel - skel[0, cfg.center_joint][None, None, :]
    a, b = cfg.scale_joints
    scale = float(np.linalg.norm(out[0, a] - out[0, b]))
    if not np.isfinite(scale) or scale < 1e-9:
        raise EdgeharError(f"{source}: distance between joints {a} and {b} in the first frame is {scale}; cannot normalise")
    return out / scale


def prepare_sample(sample: Sample, cfg: PreprocessConfig) -> tuple[np.ndarray, np.ndarray | None]:
    """One sample to IMU (C, L) and skeleton (D, L, J) float32 (or None)."""
    imu_out = skel_out = None
    if sample.imu is not None:
        imu_out = resample(sample.imu.data.astype(np.float64), cfg.length, cfg.resample, axis=0).T
    if sample.skeleton is not None:
        skel = _normalize_skeleton(sample.skeleton.data.astype(np.float64), cfg, sample.skeleton.joint_names, sample.source)
        skel_out = resample(skel, cfg.length, cfg.resample, axis=0).transpose(2, 0, 1)
    for arr, what in ((imu_out, "IMU"), (skel_out, "skeleton")):
        if arr is not None and not np.all(np.isfinite(arr)):
            raise EdgeharError(f"{sample.source}: {what} is not finite after preprocessing")
    return (
        None if imu_out is None else imu_out.astype(np.float32),
        None if skel_out is None else skel_out.astype(np.float32),
    )


def prepare(raw: RawDataset, cfg: PreprocessConfig) -> PreparedDataset:
    """Resample and normalise every sample of ``raw`` into one ``PreparedDataset``."""
    if not raw.samples:
        raise EdgeharError(f"dataset '{raw.name}' has no samples")
    if any(s.imu is None for s in raw.samples):
        missing = next(s for s in raw.samples if s.imu is None)
        raise EdgeharError(f"{missing.source}: sample has no IMU data")
    with_skel = [s.skeleton is not None for s in raw.samples]
    if any(with_skel) and not all(with_skel):
        missing = next(s for s in raw.samples if s.skeleton is None)
        raise EdgeharError(f"{missing.source}: sample has no skeleton while others do (modality missing its pair)")
    imus, skels = [], []
    for s in raw.samples:
        if s.imu.data.shape[1] != len(raw.imu_channels):  # type: ignore[union-attr]
            raise EdgeharError(f"{s.source}: {s.imu.data.shape[1]} IMU channels, dataset has {len(raw.imu_channels)}")  # type: ignore[union-attr]
        imu, skel = prepare_sample(s, cfg)
        imus.append(imu)
        if skel is not None:
            if skels and skel.shape != skels[0].shape:
                raise EdgeharError(f"{s.source}: skeleton shape {skel.shape} differs from {skels[0].shape}")
            skels.append(skel)
    col = lambda attr: np.array([getattr(s, attr) for s in raw.samples], dtype=np.int64)  # noqa: E731
    return PreparedDataset(
        imu=np.stack(imus),
        skeleton=np.stack(skels) if skels else None,
        labels=col("label"),
        subjects=col("subject"),
        trials=col("trial"),
        sessions=col("session"),
        scenes=col("scene"),
        durations_s=np.array([s.duration_s for s in raw.samples], dtype=np.float64),
        sources=tuple(s.source for s in raw.samples),
        label_names=tuple(raw.label_names),
        imu_channels=tuple(raw.imu_channels),
        imu_units=tuple(raw.imu_units),
        imu_rate_hz=float(raw.imu_rate_hz),
        joint_names=tuple(raw.joint_names) if skels else (),
        name=raw.name,
        layout=raw.layout,
        skipped=tuple(f"{s.path}: {s.reason}" for s in raw.skipped),
    )
