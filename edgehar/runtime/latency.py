"""Per-stage latency, kept cheaply enough to run on every window forever.

Each stage records into a fixed ring of the most recent windows (a long session must not grow
memory), and the summary reports p50/p99 in milliseconds.
"""

from __future__ import annotations

import numpy as np

STAGES = ("queue", "preprocess", "window", "invoke", "postprocess", "host")
# ``host`` = everything the pipeline adds beyond ``invoke``: preprocess + window + postprocess.


class LatencyStats:
    """Ring buffers of seconds per stage; percentiles over the last ``capacity`` windows."""

    def __init__(self, capacity: int = 65536) -> None:
        self._data = np.zeros((len(STAGES), capacity), np.float64)
        self._index = {name: i for i, name in enumerate(STAGES)}
        self._n = 0
        self._capacity = capacity

    def record(self, **seconds: float) -> None:
        """One window's stage durations (missing stages count as 0)."""
        row = self._n % self._capacity
        column = self._data[:, row]
        column[:] = 0.0
        for name, value in seconds.items():
            column[self._index[name]] = value
        self._n += 1

    @property
    def count(self) -> int:
        return self._n

    def percentiles_ms(self, q: tuple[float, ...] = (50.0, 99.0)) -> dict[str, dict[str, float]]:
        """``{stage: {"p50": ms, "p99": ms}}`` over the recorded windows (empty if none)."""
        n = min(self._n, self._capacity)
        if n == 0:
            return {}
        values = np.percentile(self._data[:, :n], q, axis=1) * 1e3
        return {
            stage: {f"p{p:g}": round(float(values[j, i]), 4) for j, p in enumerate(q)}
            for i, stage in enumerate(STAGES)
        }
