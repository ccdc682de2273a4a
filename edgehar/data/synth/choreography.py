"""Smooth joint-angle timelines: keyframes joined by minimum-jerk moves plus enveloped oscillations.

Activities are written as a choreography of named pose channels (degrees for angles, metres for
displacements). Minimum-jerk transitions (zero velocity and acceleration at each key) are the
classic model of human point-to-point reaching, and keep every channel twice differentiable so the
simulated accelerometer never sees a numerical impulse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Pose channels and their values at rest (standing, arms hanging slightly away from the body).
# Arm angles follow the shoulder's plane-of-elevation / elevation / axial-rotation convention;
# the left arm uses the same numbers and is mirrored by the body model.
REST_POSE: dict[str, float] = {
    **{f"{side}_{name}": value for side in ("r", "l") for name, value in (
        ("plane", -15.0), ("elev", 8.0), ("axial", 0.0), ("elbow", 12.0), ("pron", 0.0), ("wrist", 0.0),
        ("foot_x", 0.0), ("foot_lift", 0.0), ("foot_fwd", 0.0),
    )},
    "trunk_lean": 0.0, "trunk_side": 0.0, "trunk_twist": 0.0, "neck": 0.0,
    "pelvis_x": 0.0, "pelvis_fwd": 0.0, "pelvis_drop": 0.0, "pelvis_yaw": 0.0, "pelvis_tilt": 0.0,
}


# Channels in metres; every other channel is an angle in degrees.
LINEAR_CHANNELS = frozenset({"pelvis_x", "pelvis_fwd", "pelvis_drop"} | {f"{s}_foot_{n}" for s in "rl" for n in ("x", "lift", "fwd")})
MAX_ANGULAR_ACCEL = 4000.0  # deg/s^2, peak joint acceleration of brisk everyday gestures
MAX_TRUNK_ACCEL = 1000.0  # deg/s^2, the trunk is heavy and moves the whole upper body
MAX_LINEAR_ACCEL = 6.0  # m/s^2, peak acceleration of the hips or a stepping foot


def min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile on [0, 1] (clipped outside): 10s^3 - 15s^4 + 6s^5."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


def envelope(t: np.ndarray, start: float, stop: float, ramp: float) -> np.ndarray:
    """0 before ``start``, rising to 1 over ``ramp`` s, falling back to 0 at ``stop``."""
    return min_jerk((t - start) / ramp) * min_jerk((stop - t) / ramp)


@dataclass
class Choreography:
    """Keyframes and oscillations over named pose channels, evaluated on any time grid."""

    keys: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    waves: list[tuple[str, float, float, float, float, float, float]] = field(default_factory=list)
    extras: list[tuple[str, object]] = field(default_factory=list)
    end: float = 0.0

    def key(self, time: float, **pose: float) -> None:
        """Reach ``pose`` at ``time``; each channel moves from its previous key with minimum jerk."""
        for name, value in pose.items():
            if name not in REST_POSE:
                raise KeyError(f"unknown pose channel {name!r}")
            track = self.keys.setdefault(name, [])
            if track and time < track[-1][0]:
                raise ValueError(f"keys of {name!r} must be in time order")
            if not track and value != REST_POSE[name]:
                # a first key away from rest would be a jump; start with hold() at rest instead
                raise ValueError(f"first key of {name!r} must be its rest value {REST_POSE[name]}")
            track.append((time, float(value)))
        self.end = max(self.end, time)

    def move(self, start: float, duration: float, **pose: float) -> float:
        """Move the given channels from where they are at ``start`` to ``pose``; returns the end time.

        The move is stretched where needed so that no channel's peak acceleration (5.77 x distance
        / duration^2 for a minimum-jerk move) exceeds what a limb can do.
        """
        for name in pose:
            track = self.keys.get(name)
            if not track or track[-1][0] < start:
                self.hold(start, name)
        for name, value in pose.items():
            distance = abs(value - self.keys[name][-1][1])
            limit = (MAX_LINEAR_ACCEL if name in LINEAR_CHANNELS
                     else MAX_TRUNK_ACCEL if name.startswith(("trunk", "pelvis", "neck")) else MAX_ANGULAR_ACCEL)
            duration = max(duration, float(np.sqrt(5.77 * distance / limit)))
        self.key(start + duration, **pose)
        return start + duration

    def hold(self, time: float, *names: str) -> None:
        """Keep ``names`` at their latest key value until ``time`` (a pause before the next move)."""
        for name in names:
            track = self.keys.get(name)
            value = track[-1][1] if track else REST_POSE[name]
            self.key(time, **{name: value})

    def oscillate(self, name: str, start: float, stop: float, freq: float, amp: float,
                  phase: float = 0.0, ramp: float = 0.25) -> None:
        """Add ``amp * sin(2 pi freq (t - start) + phase)`` to a channel, faded in and out."""
        if name not in REST_POSE:
            raise KeyError(f"unknown pose channel {name!r}")
        self.waves.append((name, start, stop, freq, amp, phase, ramp))
        self.end = max(self.end, stop)

    def add(self, name: str, profile: object) -> None:
        """Add an arbitrary smooth function of time ``profile(t) -> array`` to a channel."""
        if name not in REST_POSE:
            raise KeyError(f"unknown pose channel {name!r}")
        self.extras.append((name, profile))

    def evaluate(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """Every pose channel sampled at times ``t`` (rest value where nothing is choreographed)."""
        out = {name: np.full(t.shape, value) for name, value in REST_POSE.items()}
        for name, track in self.keys.items():
            values = np.full(t.shape, REST_POSE[name])
            previous = REST_POSE[name]
            for i, (time, value) in enumerate(track):
                start = track[i - 1][0] if i else time
                if time > start:
                    values = np.where(t >= start, previous + (value - previous) * min_jerk((t - start) / (time - start)), values)
                else:
                    values = np.where(t >= time, value, values)
                previous = value
            out[name] = values
        for name, start, stop, freq, amp, phase, ramp in self.waves:
            out[name] = out[name] + amp * envelope(t, start, stop, ramp) * np.sin(2 * np.pi * freq * (t - start) + phase)
        for name, profile in self.extras:
            out[name] = out[name] + profile(t)  # type: ignore[operator]
        return out
