"""The synthetic activities: parametric choreographies with per-take tempo, amplitude and phase.

Each activity writes its moves into a :class:`Choreography` starting at ``start`` and returns when
the body is back at rest. Pairs are deliberately confusable: swipes left/right and clockwise /
counter-clockwise circles are near time-reversals of each other, wave and knock are both small
forearm oscillations, punch and push are both forward extensions, squat and lunge both lower
the hips, and walking and jogging in place overlap in tempo and knee lift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from edgehar.data.synth.choreography import REST_POSE, Choreography, envelope

MAX_SECONDS = 5.0
MIN_SECONDS = 2.0


@dataclass(frozen=True)
class Take:
    """How one trial is performed: speed and size relative to nominal, and two random sources.

    ``habit`` is seeded by (subject, activity) and ``rng`` by the trial, so every parameter is a
    person's habitual way of doing the activity plus a smaller trial-to-trial variation: people
    differ from each other more than from themselves, which is what makes cross-subject hard.
    """

    rng: np.random.Generator
    habit: np.random.Generator
    tempo: float
    amp: float
    height: float

    def u(self, low: float, high: float) -> float:
        """A value around the middle of [low, high]: habit spans the half-range, the trial 60 % of it."""
        mix = self.habit.uniform(-1.0, 1.0) + 0.6 * self.rng.uniform(-1.0, 1.0)
        return (low + high) / 2.0 + (high - low) / 2.0 * mix

    def d(self, low: float, high: float) -> float:
        """A duration around [low, high] seconds at nominal tempo (never far below ``low``, so no
        move becomes a jolt), scaled by this take's tempo."""
        return float(np.clip(self.u(low, high), 0.8 * low, 1.2 * high)) / self.tempo

    def count(self, low: int, high: int, per: float, budget: float) -> int:
        """A repetition count in [low, high], reduced so ``count * per`` fits in ``budget``."""
        n = int(self.rng.integers(low, high + 1))
        return max(1, min(n, int(budget // per)))


def _rest(side: str) -> dict[str, float]:
    return {k: v for k, v in REST_POSE.items() if k.startswith(side + "_") and "foot" not in k}


def _both(**pose: float) -> dict[str, float]:
    """The same arm pose for both arms (the body model mirrors the left one)."""
    return {f"{side}_{k}": v for side in ("r", "l") for k, v in pose.items()}


def swipe(direction: float) -> Callable[[Choreography, Take, float, float], float]:
    """Right hand sweeps across the chest to the subject's left (+1) or right (-1)."""

    def build(c: Choreography, k: Take, t: float, budget: float) -> float:
        centre, half = -10.0 + k.u(-5, 5), 45.0 * k.amp
        first, last = centre - direction * half, centre + direction * half
        elev = 80.0 + k.u(-10, 10)
        t = c.move(t, k.d(0.45, 0.7), r_plane=first, r_elev=elev, r_elbow=25 + k.u(-8, 8), r_pron=-60 + k.u(-25, 25), r_axial=k.u(-10, 10))
        c.move(t, k.d(0.05, 0.15), trunk_twist=-direction * 4)
        t = c.move(t, k.d(0.4, 0.65), r_plane=last, r_elev=elev + k.u(-8, 8), r_elbow=25 + k.u(-8, 8))
        c.move(t, k.d(0.2, 0.3), trunk_twist=direction * 6)
        t = c.move(t, k.d(0.2, 0.35), r_plane=last + direction * k.u(0, 8))
        t = c.move(t, k.d(0.45, 0.7), **_rest("r"), trunk_twist=0)
        return t

    return build


def circle(direction: float) -> Callable[[Choreography, Take, float, float], float]:
    """Right hand draws circles in front of the body, counter-clockwise (+1) or clockwise (-1)
    as the subject sees them."""

    def build(c: Choreography, k: Take, t: float, budget: float) -> float:
        freq = k.u(0.6, 1.0) * k.tempo
        loops = min(k.u(1.3, 2.4), (budget - 1.6 / k.tempo) * freq)
        radius = 24.0 * k.amp + k.u(-4, 4)
        plane, elev = -15.0 + k.u(-8, 8), 78.0 + k.u(-8, 8)
        t = c.move(t, k.d(0.45, 0.65), r_plane=plane, r_elev=elev, r_elbow=20 + k.u(-8, 8), r_pron=-70 + k.u(-25, 25))
        stop = t + loops / freq
        phase = k.u(0, 2 * np.pi)
        ramp = min(0.3, (stop - t) / 3)
        c.oscillate("r_elev", t, stop, direction * freq, radius, phase, ramp)
        c.oscillate("r_plane", t, stop, direction * freq, radius, phase - np.pi / 2, ramp)
        c.oscillate("r_elbow", t, stop, direction * freq, 6.0, phase + k.u(-1, 1), ramp)
        c.hold(stop, *[f"r_{n}" for n in ("plane", "elev", "elbow", "pron")])
        return c.move(stop, k.d(0.45, 0.7), **_rest("r"))

    return build


def wave(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Hand raised beside the head, forearm swinging side to side at the elbow."""
    freq = k.u(1.4, 2.2) * k.tempo
    t = c.move(t, k.d(0.45, 0.7), r_plane=-70 + k.u(-10, 10), r_elev=85 + k.u(-10, 10), r_axial=k.u(-10, 10),
               r_elbow=90 + k.u(-10, 10), r_pron=-80 + k.u(-25, 25))
    cycles = k.count(2, 4, 1 / freq, budget - 1.6 / k.tempo)
    stop = t + cycles / freq + 0.1
    c.oscillate("r_elbow", t, stop, freq, 25.0 * k.amp, k.u(-0.5, 0.5), 0.25)
    c.oscillate("r_plane", t, stop, freq, 6.0 * k.amp, k.u(-0.5, 0.5), 0.25)
    c.hold(stop, "r_plane", "r_elev", "r_axial", "r_elbow", "r_pron")
    return c.move(stop, k.d(0.45, 0.7), **_rest("r"))


def knock(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Fist raised in front of the face, knocking forward with elbow and wrist."""
    freq = k.u(2.2, 3.4) * k.tempo
    t = c.move(t, k.d(0.45, 0.7), r_plane=-10 + k.u(-10, 10), r_elev=55 + k.u(-10, 10), r_axial=k.u(-15, 5),
               r_elbow=105 + k.u(-10, 10), r_pron=-40 + k.u(-25, 25))
    knocks = k.count(2, 4, 1 / freq + 0.1, budget - 1.6 / k.tempo)
    stop = t + knocks / freq + 0.1
    c.oscillate("r_elbow", t, stop, freq, 10.0 * k.amp, k.u(-0.5, 0.5), 0.2)
    c.oscillate("r_wrist", t, stop, freq, 15.0 * k.amp, k.u(-0.5, 0.5), 0.2)
    c.hold(stop, "r_plane", "r_elev", "r_axial", "r_elbow", "r_pron")
    return c.move(stop + 0.1, k.d(0.45, 0.7), **_rest("r"))


def clap(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Both arms forward, hands meeting repeatedly in front of the chest."""
    freq = k.u(1.2, 2.0) * k.tempo
    open_plane = -30 + k.u(-8, 8)
    t = c.move(t, k.d(0.45, 0.7), **_both(plane=open_plane, elev=70 + k.u(-10, 10), elbow=30 + k.u(-10, 10), pron=80 + k.u(-20, 20)))
    claps = k.count(3, 5, 1 / freq, budget - 1.6 / k.tempo)
    stop = t + claps / freq
    for side in ("r", "l"):
        c.oscillate(f"{side}_plane", t, stop, freq, 14.0 * k.amp, -np.pi / 2, 0.25)
    c.hold(stop, *[f"{s}_{n}" for s in ("r", "l") for n in ("plane", "elev", "elbow", "pron")])
    return c.move(stop, k.d(0.45, 0.7), **_rest("r"), **_rest("l"))


def punch(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Boxing guard, then fast straight punches with the right arm."""
    guard = dict(plane=-5 + k.u(-8, 8), elev=40 + k.u(-8, 8), elbow=125 + k.u(-8, 8), pron=-80 + k.u(-20, 20))
    t = c.move(t, k.d(0.45, 0.65), **_both(**guard))
    per = (0.14 + 0.24 + 0.2) / k.tempo
    for _ in range(k.count(2, 4, per, budget - 1.4 / k.tempo)):
        reach = min(k.u(0.85, 1.0) * k.amp, 1.0)
        c.move(t, k.d(0.12, 0.16), trunk_twist=-12 * reach)
        t = c.move(t, k.d(0.12, 0.16), r_plane=5, r_elev=40 + 45 * reach, r_elbow=125 - 117 * reach, r_pron=-90)
        c.move(t, k.d(0.2, 0.28), trunk_twist=0)
        t = c.move(t, k.d(0.2, 0.28), **{f"r_{n}": v for n, v in guard.items()})
        t = c.move(t, k.d(0.1, 0.3), r_elbow=guard["elbow"])
    return c.move(t, k.d(0.45, 0.65), **_rest("r"), **_rest("l"))


def push(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Both hands from the chest pushing forward slowly, palms out."""
    chest = dict(plane=-15 + k.u(-8, 8), elev=45 + k.u(-8, 8), elbow=120 + k.u(-8, 8), pron=-85 + k.u(-15, 15), wrist=-50 + k.u(-15, 15))
    t = c.move(t, k.d(0.5, 0.7), **_both(**chest))
    per = 1.6 / k.tempo
    for _ in range(k.count(1, 2, per, budget - 1.2 / k.tempo)):
        t = c.move(t, k.d(0.55, 0.85), **_both(plane=-5, elev=45 + 38 * k.amp, elbow=max(120 - 112 * k.amp, 0.0)))
        t = c.move(t, k.d(0.1, 0.25), r_elbow=max(120 - 112 * k.amp, 0.0) + k.u(0, 5))
        t = c.move(t, k.d(0.5, 0.75), **_both(**chest))
    return c.move(t, k.d(0.45, 0.65), **_rest("r"), **_rest("l"))


def throw(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Overarm throw: wind-up behind the head, a fast release, follow-through, back to rest."""
    t = c.move(t, k.d(0.6, 0.85), r_plane=-85 + k.u(-10, 10), r_elev=125 + k.u(-10, 10), r_axial=-70 + k.u(-10, 10),
               r_elbow=95 + k.u(-10, 10), trunk_twist=-20 * k.amp, l_elev=55, l_plane=-10)
    t = c.move(t, k.d(0.1, 0.3), r_elev=125 + k.u(-5, 10))
    t = c.move(t, k.d(0.3, 0.45), r_plane=-20, r_elev=75 + k.u(-10, 10), r_axial=10, r_elbow=25, trunk_twist=15 * k.amp,
               l_elev=25, trunk_lean=8)
    t = c.move(t, k.d(0.25, 0.4), r_plane=20 + k.u(-10, 10), r_elev=25, r_axial=0, r_elbow=30, trunk_lean=15)
    return c.move(t + k.u(0.0, 0.3), k.d(0.55, 0.8), **_rest("r"), **_rest("l"), trunk_twist=0, trunk_lean=0)


def arm_curl(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Biceps curls: forearm supinated, elbow flexing and extending."""
    t = c.move(t, k.d(0.3, 0.45), r_pron=80 + k.u(-25, 10), r_elbow=15, r_plane=-10 + k.u(-5, 5), r_elev=10 + k.u(-5, 5))
    up, down = k.d(0.5, 0.75), k.d(0.5, 0.75)
    for _ in range(k.count(2, 3, up + down, budget - 0.8 / k.tempo)):
        t = c.move(t, up, r_elbow=min(75 + 60 * k.amp, 145.0), r_elev=14)
        t = c.move(t, down, r_elbow=15 + k.u(-5, 5), r_elev=10)
    return c.move(t, k.d(0.3, 0.45), **_rest("r"))


def squat(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Hips down and back with the trunk leaning forward, arms reaching forward for balance."""
    scale = k.height / 1.72
    arms = float(np.clip(k.u(0.3, 1.0), 0.0, 1.0))  # how far the arms reach forward
    down, up, pause = k.d(0.8, 1.2), k.d(0.8, 1.2), k.u(0.1, 0.3)
    for _ in range(k.count(1, 2, down + up + pause, budget)):
        depth = min(k.u(0.28, 0.42) * k.amp, 0.45) * scale
        t = c.move(t, down, pelvis_drop=depth, pelvis_fwd=-0.3 * depth, pelvis_tilt=60 * depth,
                   trunk_lean=k.u(5, 20), **_both(elev=80 * arms, plane=-5, elbow=10))
        t = c.move(t + pause, up, pelvis_drop=0, pelvis_fwd=0, pelvis_tilt=0, trunk_lean=0,
                   **_both(elev=8, plane=-15, elbow=12))
    return t


def lunge(c: Choreography, k: Take, t: float, budget: float) -> float:
    """Right foot steps forward, both knees bend, then the foot steps back."""
    scale = k.height / 1.72
    step = min(k.u(0.55, 0.75) * k.amp, 0.85) * scale  # longer steps would need the hips lower than
    depth = min(k.u(0.2, 0.3) * k.amp, 0.35) * scale  # a lunge goes, so feet could not reach the floor
    t = c.move(t, k.d(0.3, 0.4), r_foot_lift=0.1, r_foot_fwd=0.4 * step, pelvis_fwd=0.1 * step, pelvis_drop=0.02)
    t = c.move(t, k.d(0.25, 0.35), r_foot_lift=0.0, r_foot_fwd=step, pelvis_fwd=0.3 * step, pelvis_drop=0.1 * scale)
    t = c.move(t, k.d(0.6, 0.9), pelvis_fwd=0.45 * step, pelvis_drop=depth, l_foot_lift=0.06, l_foot_fwd=0.04,
               trunk_lean=k.u(-3, 8), **_both(elev=k.u(5, 25)))
    t = c.move(t + k.u(0.1, 0.3), k.d(0.6, 0.9), pelvis_fwd=0.3 * step, pelvis_drop=0.1 * scale, l_foot_lift=0.0,
               l_foot_fwd=0.0, trunk_lean=0, **_both(elev=8))
    t = c.move(t, k.d(0.25, 0.35), r_foot_lift=0.1, r_foot_fwd=0.4 * step, pelvis_fwd=0.1 * step, pelvis_drop=0.02)
    return c.move(t, k.d(0.3, 0.4), r_foot_lift=0.0, r_foot_fwd=0.0, pelvis_fwd=0.0, pelvis_drop=0.0)


def in_place(freq_range: tuple[float, float], lift_range: tuple[float, float], bounce: float,
             elbow: float, swing: float) -> Callable[[Choreography, Take, float, float], float]:
    """Walking or jogging in place: alternating knee lifts, body bounce and counter-swinging arms."""

    def build(c: Choreography, k: Take, t: float, budget: float) -> float:
        freq = k.u(*freq_range) * k.tempo
        lift = k.u(*lift_range) * k.amp * k.height / 1.72
        cycles = min(k.u(1.8, 4.0), (budget - 0.8) * freq)
        t = c.move(t, 0.3, **_both(elbow=elbow + k.u(-10, 10)), pelvis_drop=0.01 + bounce, trunk_lean=k.u(0, 6))
        start, stop = t, t + cycles / freq
        phase = k.u(0, 2 * np.pi)
        ramp = min(0.3, cycles / freq / 3)

        def foot(offset: float) -> Callable[[np.ndarray], np.ndarray]:
            def profile(x: np.ndarray) -> np.ndarray:
                cycle = np.sin(2 * np.pi * freq * (x - start) + phase + offset)
                return lift * envelope(x, start, stop, ramp) * np.maximum(cycle, 0.0) ** 3

            return profile

        c.add("r_foot_lift", foot(0.0))
        c.add("l_foot_lift", foot(np.pi))
        c.oscillate("pelvis_drop", start, stop, 2 * freq, bounce * k.u(0.7, 1.3), 2 * phase + np.pi / 2, ramp)
        c.oscillate("r_elev", start, stop, freq, swing * k.amp, phase + np.pi + k.u(-0.3, 0.3), ramp)
        c.oscillate("l_elev", start, stop, freq, swing * k.amp, phase + k.u(-0.3, 0.3), ramp)
        c.hold(stop, "r_elbow", "l_elbow", "pelvis_drop", "trunk_lean")
        return c.move(stop, 0.3, **_both(elbow=12), pelvis_drop=0.0, trunk_lean=0)

    return build


@dataclass(frozen=True)
class Activity:
    name: str
    sensor: str  # "wrist" or "thigh": where the wearable sits for this activity
    build: Callable[[Choreography, Take, float, float], float]


ACTIVITIES: tuple[Activity, ...] = (
    Activity("swipe_left", "wrist", swipe(+1.0)),
    Activity("swipe_right", "wrist", swipe(-1.0)),
    Activity("wave", "wrist", wave),
    Activity("knock", "wrist", knock),
    Activity("clap", "wrist", clap),
    Activity("punch", "wrist", punch),
    Activity("push", "wrist", push),
    Activity("throw", "wrist", throw),
    Activity("circle_cw", "wrist", circle(-1.0)),
    Activity("circle_ccw", "wrist", circle(+1.0)),
    Activity("arm_curl", "wrist", arm_curl),
    Activity("squat", "thigh", squat),
    Activity("lunge", "thigh", lunge),
    Activity("walk_in_place", "thigh", in_place((0.75, 1.1), (0.07, 0.16), 0.01, 25.0, 12.0)),
    Activity("jog_in_place", "thigh", in_place((1.05, 1.6), (0.14, 0.3), 0.04, 85.0, 25.0)),
)
