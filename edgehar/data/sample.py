"""One in-memory representation of a labelled multimodal sample, whatever the dataset.

Every loader (UTD-MHAD, MMAct, synthetic, recordings) produces ``Sample`` objects so that
preprocessing, splits and the CLI never need to know which files they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgehar.errors import EdgeharError


@dataclass(frozen=True)
class ImuSeries:
    """Inertial channels as recorded: ``data`` (T, C) float32 at ``rate_hz``, in ``units``."""

    data: np.ndarray
    rate_hz: float
    channels: tuple[str, ...]
    units: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.data.ndim != 2 or self.data.shape[1] != len(self.channels):
            raise ValueError(f"IMU data shape {self.data.shape} does not match {len(self.channels)} channels")
        if len(self.units) != len(self.channels):
            raise ValueError("one unit per IMU channel is required")
        if self.data.dtype != np.float32:
            object.__setattr__(self, "data", self.data.astype(np.float32))

    @property
    def duration_s(self) -> float:
        return self.data.shape[0] / self.rate_hz


@dataclass(frozen=True)
class SkeletonSeries:
    """Joint positions ``data`` (T, J, D) float32 at ``rate_hz`` (D = 3 for Kinect, 2 for image keypoints)."""

    data: np.ndarray
    rate_hz: float
    joint_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.data.ndim != 3 or self.data.shape[1] != len(self.joint_names):
            raise ValueError(f"skeleton data shape {self.data.shape} does not match {len(self.joint_names)} joints")
        if self.data.dtype != np.float32:
            object.__setattr__(self, "data", self.data.astype(np.float32))

    @property
    def duration_s(self) -> float:
        return self.data.shape[0] / self.rate_hz


@dataclass(frozen=True)
class Sample:
    """A labelled clip: either modality may be absent (IMU-only recordings have no skeleton).

    ``label`` is 0-based; ``subject``/``trial``/``session``/``scene`` are -1 where unknown.
    ``source`` names the file(s) it came from so later errors can point at them.
    """

    label: int
    label_name: str
    source: str
    imu: ImuSeries | None = None
    skeleton: SkeletonSeries | None = None
    subject: int = -1
    trial: int = -1
    session: int = -1
    scene: int = -1

    def __post_init__(self) -> None:
        if self.imu is None and self.skeleton is None:
            raise ValueError(f"{self.source}: a sample needs at least one modality")

    @property
    def duration_s(self) -> float:
        """Clip duration in seconds, from the IMU when present (the modality deployed on the edge)."""
        return self.imu.duration_s if self.imu is not None else self.skeleton.duration_s  # type: ignore[union-attr]


@dataclass(frozen=True)
class Skipped:
    """A file or trial a loader left out, with the reason shown to the user."""

    path: str
    reason: str


@dataclass
class RawDataset:
    """What a loader returns: samples plus the metadata shared by all of them."""

    name: str
    layout: str
    samples: list[Sample]
    label_names: tuple[str, ...]
    imu_channels: tuple[str, ...]
    imu_units: tuple[str, ...]
    imu_rate_hz: float
    joint_names: tuple[str, ...] = ()
    skeleton_rate_hz: float | None = None
    skipped: list[Skipped] = field(default_factory=list)

    def skip_summary(self) -> str:
        """One line per distinct reason with its count, e.g. for the CLI."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        return "; ".join(f"{n} x {reason}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def check_finite(array: np.ndarray, source: str, what: str) -> None:
    """Reject NaN/inf early, naming the file, because they silently poison every later step."""
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise EdgeharError(f"{source}: {bad} NaN/inf value(s) in {what}")
