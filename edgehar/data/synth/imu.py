"""The wearable: where it sits on the body, what an ideal IMU measures there, and its errors.

An accelerometer measures specific force, the acceleration of its proof mass minus gravity,
expressed in its own axes; a gyroscope measures the angular velocity of its own frame in its own
axes. Both are computed from the simulated segment trajectory, then degraded by per-trial bias,
scale error, white noise and range saturation like a consumer MEMS part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgehar.data.synth.body import Body
from edgehar.data.synth.rotations import axis_angle, body_angular_velocity

STANDARD_GRAVITY = 9.80665
GRAVITY = np.array([0.0, -STANDARD_GRAVITY, 0.0])  # floor frame, y up
ACC_RANGE_G = 16.0
GYRO_RANGE_DPS = 2000.0

# Nominal sensor axes as columns in the segment frame (segment y points proximally):
# x along the limb towards its distal end, z out of the skin (back of the wrist / front of the thigh).
_NOMINAL = {
    "wrist": np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]),
    "thigh": np.array([[0.0, -1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]),
}
SEGMENTS = {"wrist": ("right_forearm", "right_wrist"), "thigh": ("right_thigh", "right_hip")}


@dataclass(frozen=True)
class Mount:
    """How the sensor is attached: segment frame and origin joint, rotation and offset in that frame."""

    segment: str
    joint: str
    rotation: np.ndarray  # (3, 3) sensor axes as columns in the segment frame
    offset: np.ndarray  # (3,) sensor position in the segment frame, from the origin joint


def nominal_mount(site: str) -> Mount:
    """The sensor exactly on the joint (wrist) or the hip joint (thigh), axes as designed."""
    segment, joint = SEGMENTS[site]
    return Mount(segment, joint, _NOMINAL[site].copy(), np.zeros(3))


def jittered_mount(site: str, body: Body, strap_deg: float, rng: np.random.Generator) -> Mount:
    """A real placement: the strap rotated around the limb by ``strap_deg`` plus a few degrees of
    tilt, the watch a little above the wrist joint, the thigh sensor on the front of mid-thigh."""
    segment, joint = SEGMENTS[site]
    roll = axis_angle(np.array([1.0, 0.0, 0.0]), strap_deg + rng.normal(0.0, 4.0))
    tilt = axis_angle(np.array([0.0, 1.0, 0.0]), rng.normal(0.0, 4.0)) @ axis_angle(np.array([0.0, 0.0, 1.0]), rng.normal(0.0, 4.0))
    rotation = _NOMINAL[site] @ tilt @ roll
    if site == "wrist":
        offset = np.array([0.02, rng.uniform(0.01, 0.04), 0.0])
    else:
        offset = np.array([0.0, -body.thigh * rng.uniform(0.4, 0.6), -0.07])
    return Mount(segment, joint, rotation, offset)


@dataclass
class ImuTruth:
    """Error-free sensor output on the interior of a trajectory sampled every ``dt`` seconds."""

    acc_g: np.ndarray  # (N-2, 3) specific force in sensor axes, g
    gyro_dps: np.ndarray  # (N-2, 3) angular velocity in sensor axes, deg/s
    rotation: np.ndarray  # (N-2, 3, 3) sensor axes as columns in the floor frame
    position: np.ndarray  # (N-2, 3) sensor position in the floor frame, m


def ideal_imu(origin: np.ndarray, frame: np.ndarray, mount: Mount, dt: float) -> ImuTruth:
    """What a perfect IMU on ``mount`` measures, from the segment origin (N, 3) and frame (N, 3, 3)."""
    position = origin + np.einsum("nij,j->ni", frame, mount.offset)
    rotation = frame @ mount.rotation
    accel = (position[2:] - 2.0 * position[1:-1] + position[:-2]) / (dt * dt)
    specific = np.einsum("nji,nj->ni", rotation[1:-1], accel - GRAVITY) / STANDARD_GRAVITY
    gyro = np.degrees(body_angular_velocity(rotation, dt))
    return ImuTruth(specific, gyro, rotation[1:-1], position[1:-1])


@dataclass(frozen=True)
class SensorErrors:
    """Per-trial deterministic errors of one consumer MEMS IMU, plus its white-noise levels."""

    acc_bias: np.ndarray
    acc_scale: np.ndarray
    gyro_bias: np.ndarray
    gyro_scale: np.ndarray
    acc_noise: float
    gyro_noise: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "SensorErrors":
        return cls(
            acc_bias=rng.normal(0.0, 0.03, 3), acc_scale=1.0 + rng.normal(0.0, 0.02, 3),
            gyro_bias=rng.normal(0.0, 2.0, 3), gyro_scale=1.0 + rng.normal(0.0, 0.02, 3),
            acc_noise=float(rng.uniform(0.01, 0.03)), gyro_noise=float(rng.uniform(0.5, 1.5)),
        )

    def apply(self, acc_g: np.ndarray, gyro_dps: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        acc = acc_g * self.acc_scale + self.acc_bias + rng.normal(0.0, self.acc_noise, acc_g.shape)
        gyro = gyro_dps * self.gyro_scale + self.gyro_bias + rng.normal(0.0, self.gyro_noise, gyro_dps.shape)
        return np.clip(acc, -ACC_RANGE_G, ACC_RANGE_G), np.clip(gyro, -GYRO_RANGE_DPS, GYRO_RANGE_DPS)
