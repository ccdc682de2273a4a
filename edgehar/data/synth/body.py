"""A 20-joint Kinect-v1 skeleton with per-subject proportions and its forward kinematics.

Frame (the "floor frame"): x to the subject's right, y up, z backwards (the subject faces -z, as a
person facing a Kinect does), origin on the floor between the feet. Arms are driven by joint
angles; legs by foot targets solved with two-link inverse kinematics, so that planted feet stay on
the floor in squats and lunges. Segment lengths are fractions of stature taken from the Kinect
joint layout of UTD-MHAD (joint centres, not anatomical landmarks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgehar.data.synth.rotations import rot_x, rot_y, rot_z

JOINT_NAMES: tuple[str, ...] = (
    "head", "shoulder_center", "spine", "hip_center",
    "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand",
    "left_hip", "left_knee", "left_ankle", "left_foot",
    "right_hip", "right_knee", "right_ankle", "right_foot",
)
J = {name: i for i, name in enumerate(JOINT_NAMES)}

# Segment length / stature, measured on the Kinect skeletons of a 1.7 m UTD-MHAD subject.
_RATIOS = {
    "lower_spine": 0.035, "upper_spine": 0.205, "neck": 0.106,
    "shoulder_half_width": 0.100, "shoulder_drop": 0.065,
    "upper_arm": 0.165, "forearm": 0.135, "hand": 0.047,
    "hip_half_width": 0.044, "hip_drop": 0.047,
    "thigh": 0.275, "shank": 0.212, "ankle_height": 0.045, "foot_length": 0.035,
}


@dataclass(frozen=True)
class Body:
    """Segment lengths (m) of one subject."""

    height: float
    lower_spine: float
    upper_spine: float
    neck: float
    shoulder_half_width: float
    shoulder_drop: float
    upper_arm: float
    forearm: float
    hand: float
    hip_half_width: float
    hip_drop: float
    thigh: float
    shank: float
    ankle_height: float
    foot_length: float

    @property
    def hip_height(self) -> float:
        """Hip-joint height when standing with the knees almost straight."""
        return self.ankle_height + 0.98 * (self.thigh + self.shank)

    @property
    def standing_pelvis_height(self) -> float:
        return self.hip_height + self.hip_drop


def sample_body(rng: np.random.Generator) -> Body:
    """A subject: stature 1.55-1.92 m and each segment varying about 4 % around the mean ratio."""
    height = float(np.clip(rng.normal(1.72, 0.09), 1.55, 1.92))
    lengths = {k: height * r * float(np.clip(rng.normal(1.0, 0.04), 0.9, 1.1)) for k, r in _RATIOS.items()}
    return Body(height=height, **lengths)


@dataclass
class Kinematics:
    """Joint positions (N, 20, 3) in the floor frame and the frames of the segments that carry sensors.

    ``frames[name]`` is (N, 3, 3), columns the segment axes in the floor frame (y along the segment
    pointing proximally, x to the subject's right at rest, z backwards at rest).
    """

    joints: np.ndarray
    frames: dict[str, np.ndarray]


def _apply(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("nij,j->ni", r, v) if v.ndim == 1 else np.einsum("nij,nj->ni", r, v)


def _arm(torso: np.ndarray, shoulder: np.ndarray, pose: dict[str, np.ndarray], side: str, body: Body):
    """Elbow, wrist, hand positions and the forearm frame; the left arm is the mirror image."""
    s = 1.0 if side == "r" else -1.0
    upper = torso @ rot_y(s * pose[f"{side}_plane"]) @ rot_x(pose[f"{side}_elev"]) @ rot_y(s * pose[f"{side}_axial"])
    fore = upper @ rot_x(pose[f"{side}_elbow"]) @ rot_y(s * pose[f"{side}_pron"])
    hand = fore @ rot_x(pose[f"{side}_wrist"])
    elbow = shoulder + _apply(upper, np.array([0.0, -body.upper_arm, 0.0]))
    wrist = elbow + _apply(fore, np.array([0.0, -body.forearm, 0.0]))
    tip = wrist + _apply(hand, np.array([0.0, -body.hand, 0.0]))
    return elbow, wrist, tip, fore


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _softmin(a: np.ndarray, b: np.ndarray | float, width: float) -> np.ndarray:
    """Smooth minimum, so a leg reaching full extension does not give a kink in its motion."""
    return -width * np.logaddexp(-a / width, -np.asarray(b) / width)


def _leg(hip: np.ndarray, target: np.ndarray, pelvis: np.ndarray, body: Body):
    """Two-link IK with the knee bending forwards; returns knee, ankle and the thigh frame."""
    v = target - hip
    d = np.linalg.norm(v, axis=-1)
    u = v / d[:, None]
    reach = _softmin(d, body.thigh + body.shank, 0.01)
    a = (body.thigh**2 - body.shank**2 + reach**2) / (2.0 * reach)
    h = np.sqrt(np.maximum(body.thigh**2 - a**2, 0.0))
    forward = _apply(pelvis, np.array([0.0, 0.0, -1.0]))
    n = _unit(forward - np.sum(forward * u, -1, keepdims=True) * u)
    knee = hip + a[:, None] * u + h[:, None] * n
    ankle = hip + reach[:, None] * u
    y = _unit(hip - knee)
    right = _apply(pelvis, np.array([1.0, 0.0, 0.0]))
    x = _unit(right - np.sum(right * y, -1, keepdims=True) * y)
    z = np.cross(x, y)
    return knee, ankle, np.stack([x, y, z], -1)


def forward_kinematics(body: Body, pose: dict[str, np.ndarray]) -> Kinematics:
    """Joint positions and sensor-segment frames for a pose timeline (channels of equal length N)."""
    n = pose["pelvis_drop"].shape[0]
    joints = np.empty((n, len(JOINT_NAMES), 3))
    pelvis = rot_y(pose["pelvis_yaw"]) @ rot_x(-pose["pelvis_tilt"])
    torso = pelvis @ rot_x(-pose["trunk_lean"]) @ rot_z(-pose["trunk_side"]) @ rot_y(pose["trunk_twist"])
    hc = np.stack([pose["pelvis_x"], body.standing_pelvis_height - pose["pelvis_drop"], -pose["pelvis_fwd"]], -1)
    spine = hc + _apply(torso, np.array([0.0, body.lower_spine, 0.0]))
    sc = spine + _apply(torso, np.array([0.0, body.upper_spine, 0.0]))
    joints[:, J["hip_center"]] = hc
    joints[:, J["spine"]] = spine
    joints[:, J["shoulder_center"]] = sc
    joints[:, J["head"]] = sc + _apply(torso @ rot_x(-pose["neck"]), np.array([0.0, body.neck, 0.0]))
    frames: dict[str, np.ndarray] = {}
    for side, name in (("r", "right"), ("l", "left")):
        s = 1.0 if side == "r" else -1.0
        shoulder = sc + _apply(torso, np.array([s * body.shoulder_half_width, -body.shoulder_drop, 0.0]))
        elbow, wrist, tip, fore = _arm(torso, shoulder, pose, side, body)
        joints[:, J[f"{name}_shoulder"]] = shoulder
        joints[:, J[f"{name}_elbow"]] = elbow
        joints[:, J[f"{name}_wrist"]] = wrist
        joints[:, J[f"{name}_hand"]] = tip
        frames[f"{name}_forearm"] = fore
        hip = hc + _apply(pelvis, np.array([s * body.hip_half_width, -body.hip_drop, 0.0]))
        target = np.stack([
            s * (body.hip_half_width + 0.02) + pose[f"{side}_foot_x"],
            body.ankle_height + pose[f"{side}_foot_lift"],
            -pose[f"{side}_foot_fwd"],
        ], -1)
        knee, ankle, thigh = _leg(hip, target, pelvis, body)
        heading = rot_y(pose["pelvis_yaw"])
        joints[:, J[f"{name}_hip"]] = hip
        joints[:, J[f"{name}_knee"]] = knee
        joints[:, J[f"{name}_ankle"]] = ankle
        joints[:, J[f"{name}_foot"]] = ankle + _apply(heading, np.array([0.0, -0.7 * body.ankle_height, -body.foot_length]))
        frames[f"{name}_thigh"] = thigh
    return Kinematics(joints=joints, frames=frames)
