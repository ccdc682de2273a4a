"""Reconnect delays: exponential, capped, with jitter.

Without jitter, every receiver that lost the same device retries in lock-step; without a cap, a
device that was away for a minute would wait minutes after it came back.
"""

from __future__ import annotations

import random


class Backoff:
    """Delay before each reconnect attempt: ``initial * factor**k``, capped, half of it randomised.

    The delay of attempt k lies in ``[d/2, d]`` with ``d = min(cap, initial * factor**k)``
    ("equal jitter"): never zero, so a dead link is not hammered, and spread out across receivers.
    :meth:`reset` after a connection that delivered data starts the next outage at ``initial``.
    """

    def __init__(self, initial_s: float = 0.1, factor: float = 2.0, cap_s: float = 10.0, seed: int | None = None):
        if initial_s <= 0 or factor < 1 or cap_s < initial_s:
            raise ValueError("backoff needs initial_s > 0, factor >= 1 and cap_s >= initial_s")
        self.initial_s = initial_s
        self.factor = factor
        self.cap_s = cap_s
        self.attempt = 0
        self._rng = random.Random(seed)

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; advances the attempt counter."""
        ceiling = min(self.cap_s, self.initial_s * self.factor ** min(self.attempt, 64))  # no float overflow
        self.attempt += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0
