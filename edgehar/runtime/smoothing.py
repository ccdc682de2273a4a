"""Turning a jittery stream of per-window predictions into a stable activity with enter/exit events.

Consecutive windows overlap and still flip between neighbouring classes; users want "walking since
12:03", not a flicker. Three policies, chosen by ``--smooth``:

* ``none``: the window's own argmax.
* ``ema:A``: exponential moving average of the probabilities, ``A`` the weight of the newest window
  (0 < A <= 1), as Edge Impulse's continuous mode averages.
* ``vote:N``: the most frequent argmax of the last ``N`` windows (ties go to the most recent).
* ``hysteresis:enter=P,exit=Q,dwell=S`` (or ``hyst:P,Q,S``): a class becomes active once its
  probability stays >= P for S seconds, and the active class ends once its probability stays < Q
  for S seconds, like Android's activity-transition API; with nothing active the label is None.

Every policy reports ``enter``/``exit`` events when its output label changes.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.runtime.duration import parse_seconds


@dataclass(frozen=True)
class Transition:
    """An activity starts (``enter``) or ends (``exit``, with how long it lasted)."""

    kind: str
    label: int
    time: float  # device seconds of the window that decided it
    confidence: float
    duration_s: float = 0.0


@dataclass
class Smoothed:
    """The smoothed decision for one window."""

    label: int | None
    confidence: float
    events: list[Transition] = field(default_factory=list)


class Smoother:
    """Base: subclasses decide a label; this class turns label changes into events."""

    spec = "none"

    def __init__(self) -> None:
        self._active: int | None = None
        self._since = 0.0
        self._last_conf = 0.0

    def decide(self, probs: np.ndarray, time: float) -> tuple[int | None, float]:
        """The label and its confidence for this window."""
        label = int(np.argmax(probs))
        return label, float(probs[label])

    def update(self, probs: np.ndarray, time: float) -> Smoothed:
        label, conf = self.decide(probs, time)
        events: list[Transition] = []
        if label != self._active:
            if self._active is not None:
                events.append(Transition("exit", self._active, time, self._last_conf, time - self._since))
            if label is not None:
                events.append(Transition("enter", label, time, conf))
            self._active, self._since = label, time
        self._last_conf = conf
        return Smoothed(label, conf, events)

    def finish(self, time: float) -> list[Transition]:
        """Close the active activity when the stream ends, so its duration is reported."""
        if self._active is None:
            return []
        event = Transition("exit", self._active, time, self._last_conf, time - self._since)
        self._active = None
        return [event]


class EmaSmoother(Smoother):
    def __init__(self, alpha: float) -> None:
        super().__init__()
        if not 0.0 < alpha <= 1.0:
            raise EdgeharError(f"--smooth ema:A needs 0 < A <= 1, got {alpha}")
        self.alpha = alpha
        self.spec = f"ema:{alpha:g}"
        self._avg: np.ndarray | None = None

    def decide(self, probs: np.ndarray, time: float) -> tuple[int | None, float]:
        if self._avg is None:
            self._avg = probs.astype(np.float64)
        else:
            self._avg = self.alpha * probs + (1.0 - self.alpha) * self._avg
        label = int(np.argmax(self._avg))
        return label, float(self._avg[label])


class VoteSmoother(Smoother):
    def __init__(self, n: int) -> None:
        super().__init__()
        if n < 1:
            raise EdgeharError(f"--smooth vote:N needs N >= 1, got {n}")
        self.spec = f"vote:{n}"
        self._labels: deque[int] = deque(maxlen=n)
        self._probs: deque[np.ndarray] = deque(maxlen=n)

    def decide(self, probs: np.ndarray, time: float) -> tuple[int | None, float]:
        self._labels.append(int(np.argmax(probs)))
        self._probs.append(probs)
        counts = Counter(self._labels)
        best = max(counts.values())
        label = next(lab for lab in reversed(self._labels) if counts[lab] == best)
        return label, float(np.mean([p[label] for p in self._probs]))


class HysteresisSmoother(Smoother):
    def __init__(self, enter: float, exit: float, dwell_s: float) -> None:
        super().__init__()
        if not 0.0 <= exit <= enter <= 1.0:
            raise EdgeharError(f"--smooth hysteresis needs 0 <= exit <= enter <= 1, got enter={enter} exit={exit}")
        if dwell_s < 0:
            raise EdgeharError(f"--smooth hysteresis needs dwell >= 0, got {dwell_s}")
        self.enter, self.exit, self.dwell_s = enter, exit, dwell_s
        self.spec = f"hysteresis:enter={enter:g},exit={exit:g},dwell={dwell_s:g}"
        self._state: int | None = None
        self._candidate: int | None = None  # label waiting to take over (None = "nothing active")
        self._candidate_since = 0.0
        self._pending = False

    def decide(self, probs: np.ndarray, time: float) -> tuple[int | None, float]:
        top = int(np.argmax(probs))
        wanted = self._state
        if top != self._state and probs[top] >= self.enter:
            wanted = top
        elif self._state is not None and probs[self._state] < self.exit:
            wanted = None
        if wanted == self._state:
            self._pending = False
        else:
            if not self._pending or wanted != self._candidate:
                self._pending, self._candidate, self._candidate_since = True, wanted, time
            if time - self._candidate_since >= self.dwell_s:
                self._state, self._pending = wanted, False
        if self._state is None:
            return None, 0.0
        return self._state, float(probs[self._state])


def parse_smoothing(spec: str) -> Smoother:
    """Build the smoother ``--smooth`` names (see the module docstring for the syntax)."""
    text = spec.strip().lower()
    name, _, arg = text.partition(":")
    try:
        if name == "none" and not arg:
            return Smoother()
        if name == "ema":
            return EmaSmoother(float(arg))
        if name == "vote":
            return VoteSmoother(int(arg))
        if name in ("hysteresis", "hyst"):
            return _parse_hysteresis(arg)
    except ValueError:
        pass
    raise EdgeharError(
        f"--smooth {spec!r}: expected none, ema:A, vote:N or hysteresis:enter=P,exit=Q,dwell=S"
    )


def _parse_hysteresis(arg: str) -> HysteresisSmoother:
    values = {"enter": "0.6", "exit": "0.4", "dwell": "1s"}
    positional = ["enter", "exit", "dwell"]
    for i, part in enumerate(p for p in arg.split(",") if p):
        key, eq, value = part.partition("=")
        if not eq:
            if i >= len(positional):
                raise ValueError(part)
            key, value = positional[i], part
        if key not in values:
            raise ValueError(key)
        values[key] = value
    return HysteresisSmoother(float(values["enter"]), float(values["exit"]), parse_seconds(values["dwell"], "dwell"))
