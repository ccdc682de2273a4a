"""The depth camera: where it stands relative to the subject, and how its joint estimates err.

Kinect v1 coordinates: x right (from the subject's point of view, facing the camera), y up, z
away from the camera, metres; the subject stands 2.5-3.2 m away. Joint estimates carry white
jitter plus slowly drifting errors, larger on the extremities (wrists, hands, ankles, feet) than on
the trunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from edgehar.data.synth.body import J
from edgehar.data.synth.rotations import rot_x, rot_y

_EXTREMITIES = [J[f"{side}_{part}"] for side in ("left", "right") for part in ("wrist", "hand", "ankle", "foot")]


@dataclass(frozen=True)
class Camera:
    """Floor frame to camera frame: ``p_cam = rotation @ p_floor + translation``."""

    rotation: np.ndarray
    translation: np.ndarray

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "Camera":
        yaw = rot_y(np.array([rng.normal(0.0, 6.0)]))[0]  # the subject not quite facing the camera
        tilt = rot_x(np.array([rng.uniform(-4.0, 4.0)]))[0]  # camera pitch
        position = np.array([rng.uniform(-0.2, 0.2), -rng.uniform(1.0, 1.25), rng.uniform(2.5, 3.2)])
        return cls(tilt @ yaw, tilt @ position)

    def project(self, joints: np.ndarray) -> np.ndarray:
        """(T, 20, 3) floor-frame joints in camera coordinates."""
        return joints @ self.rotation.T + self.translation


def kinect_noise(shape: tuple[int, ...], rate_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Joint position errors (T, 20, 3) in metres: white jitter plus errors drifting over ~0.3 s."""
    scale = np.full((shape[1], 1), 1.0)
    scale[_EXTREMITIES] = 2.0
    white = rng.normal(0.0, 0.005, shape)
    drift = gaussian_filter1d(rng.normal(0.0, 1.0, shape), sigma=0.15 * rate_hz, axis=0, mode="nearest")
    drift *= 0.008 / max(float(drift.std()), 1e-12)
    return (white + drift) * scale
