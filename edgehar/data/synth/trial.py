"""One synthetic trial: a subject performs an activity once, seen by the wearable and the camera.

The motion is simulated once, on a fine internal time grid, and each modality is sampled from it
at its own rate (IMU 50 Hz, skeleton 30 Hz), so the two modalities always describe the same
movement. Every random choice comes from a generator seeded by (seed, subject[, activity, trial]),
so any trial can be regenerated on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgehar.data.synth.activities import ACTIVITIES, MAX_SECONDS, MIN_SECONDS, Take
from edgehar.data.synth.body import J, Body, forward_kinematics, sample_body
from edgehar.data.synth.choreography import Choreography
from edgehar.data.synth.imu import SensorErrors, ideal_imu, jittered_mount, nominal_mount
from edgehar.data.synth.kinect import Camera, kinect_noise

IMU_RATE_HZ = 50
SKELETON_RATE_HZ = 30
INTERNAL_RATE_HZ = 300  # a common multiple of both output rates, fine enough for 2nd-order derivatives

# Channels that wobble a little on every take (degrees), so no two repetitions are identical.
_WOBBLE = {"r_plane": 5.0, "r_elev": 5.0, "r_elbow": 5.0, "r_pron": 8.0, "r_axial": 5.0, "r_wrist": 6.0,
           "l_plane": 4.0, "l_elev": 4.0, "l_elbow": 4.0, "trunk_lean": 2.5, "trunk_side": 1.5,
           "trunk_twist": 2.5, "neck": 2.0, "pelvis_yaw": 2.0}


@dataclass(frozen=True)
class Subject:
    """A person: body proportions, habitual speed and size of movement, posture and strap angle."""

    body: Body
    tempo: float
    amp: float
    posture: dict[str, float]
    strap_deg: float


def make_subject(seed: int, subject: int) -> Subject:
    rng = np.random.default_rng([seed, subject, 0xB0D1])
    body = sample_body(rng)
    posture = {"r_elev": rng.normal(0, 3), "r_plane": rng.normal(0, 5), "r_elbow": rng.normal(0, 5),
               "l_elev": rng.normal(0, 3), "l_plane": rng.normal(0, 5), "trunk_lean": rng.normal(0, 2)}
    return Subject(body, float(np.exp(rng.normal(0, 0.12))), float(np.exp(rng.normal(0, 0.12))),
                   posture, float(rng.normal(0, 30)))


@dataclass
class SynthTrial:
    """A generated trial in UTD-MHAD array layout plus the ground truth the physics tests need."""

    activity: int  # 0-based index into ACTIVITIES
    subject: int
    trial: int
    imu: np.ndarray  # (T, 6) acc xyz (g), gyro xyz (deg/s), 50 Hz
    skeleton: np.ndarray  # (20, 3, T') camera coordinates (m), 30 Hz
    sensor_rotation: np.ndarray  # (T, 3, 3) sensor axes in the floor frame at the IMU samples
    camera: Camera


def _smooth_wobble(t: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """A smooth random signal of about ``amplitude`` (three sinusoids between 0.2 and 1.5 Hz)."""
    freqs = rng.uniform(0.2, 1.5, 3)
    phases = rng.uniform(0, 2 * np.pi, 3)
    weights = rng.normal(0, 1, 3)
    return amplitude / np.sqrt(1.5) * np.sum(weights[:, None] * np.sin(2 * np.pi * freqs[:, None] * t + phases[:, None]), 0)


def generate_trial(seed: int, activity: int, subject: int, trial: int, *, ideal: bool = False) -> SynthTrial:
    """Simulate one trial. ``ideal`` turns off every sensor error (noise, bias, placement offsets)
    but keeps the motion identical, for tests that check the physics exactly."""
    who = make_subject(seed, subject)
    act = ACTIVITIES[activity]
    rng = np.random.default_rng([seed, subject, activity, trial, 0x7A1])
    habit = np.random.default_rng([seed, subject, activity, 0x4AB])
    tempo = who.tempo * float(np.exp(habit.normal(0, 0.15) + rng.normal(0, 0.08)))
    amp = who.amp * float(np.exp(habit.normal(0, 0.15) + rng.normal(0, 0.08)))
    take = Take(rng, habit, tempo=tempo, amp=amp, height=who.body.height)
    pre, post = rng.uniform(0.25, 0.6), rng.uniform(0.2, 0.5)
    plan = Choreography()
    end = act.build(plan, take, pre, MAX_SECONDS - pre - post)
    # a slow take that overruns the longest clip is performed a little faster instead of cut
    speedup = max(1.0, (end + post) / MAX_SECONDS)
    duration = max((end + post) / speedup, MIN_SECONDS)

    n_imu, n_skel = int(duration * IMU_RATE_HZ), int(duration * SKELETON_RATE_HZ)
    n = int(duration * INTERNAL_RATE_HZ) + 1
    t = np.arange(-1, n + 1) / INTERNAL_RATE_HZ  # one sample of margin each side for the derivatives
    # people do not keep a metronome: warp the timeline by a few tens of milliseconds
    warp = (t + _smooth_wobble(t, rng, 0.02)) * speedup
    pose = plan.evaluate(warp)
    for name, value in who.posture.items():
        pose[name] = pose[name] + value
    for name, amplitude in _WOBBLE.items():
        pose[name] = pose[name] + _smooth_wobble(t, rng, amplitude)
    kin = forward_kinematics(who.body, pose)

    mount = nominal_mount(act.sensor) if ideal else jittered_mount(act.sensor, who.body, who.strap_deg, rng)
    truth = ideal_imu(kin.joints[:, J[mount.joint]], kin.frames[mount.segment], mount, 1.0 / INTERNAL_RATE_HZ)
    pick = np.arange(n_imu) * (INTERNAL_RATE_HZ // IMU_RATE_HZ)  # truth starts at t = 0
    acc, gyro = truth.acc_g[pick], truth.gyro_dps[pick]
    if not ideal:
        acc, gyro = SensorErrors.sample(rng).apply(acc, gyro, rng)

    camera = Camera.sample(rng)
    frames = kin.joints[1 + np.arange(n_skel) * (INTERNAL_RATE_HZ // SKELETON_RATE_HZ)]
    skeleton = camera.project(frames)
    if not ideal:
        skeleton = skeleton + kinect_noise(skeleton.shape, SKELETON_RATE_HZ, rng)
    return SynthTrial(activity, subject, trial, np.concatenate([acc, gyro], 1), np.ascontiguousarray(skeleton.transpose(1, 2, 0)),
                      truth.rotation[pick], camera)
