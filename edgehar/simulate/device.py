"""The simulated IMU board: samples at its rate, quantises to int16 and builds what it sends.

It behaves like the firmware in ``firmware_bridge``: a CONFIG frame describing channels, units
and scales, then DATA frames of ``n`` samples with a 16-bit sequence number and the device clock
of the first sample, or one CSV line per sample in physical units (the Edge Impulse data
forwarder convention). Its clock and sequence keep running while no host listens, as a board's
do, so a host that reconnects sees the outage as a gap.
"""

from __future__ import annotations

import math

import numpy as np

from edgehar.protocol import ChannelSpec, ConfigFrame, encode_data, encode_frame
from edgehar.simulate.motion import Motion

#: Full scale per unit: the widest ranges of common IMUs (LSM9DS1 +-16 g, +-2000 dps; BMM150 1300 uT).
FULL_SCALE = {
    "g": 16.0,
    "m/s^2": 16.0 * 9.80665,
    "m/s2": 16.0 * 9.80665,
    "deg/s": 2000.0,
    "dps": 2000.0,
    "rad/s": math.radians(2000.0),
    "uT": 1300.0,
}
FIRMWARE = "edgehar-sim 1.0"
_U32 = 1 << 32


class SimulatedDevice:
    """Pulls samples from a :class:`Motion` and encodes them; ``exhausted`` once the takes run out."""

    def __init__(self, motion: Motion, name: str | None = None) -> None:
        self.motion = motion
        self.info = motion.info
        self.rate_hz = float(motion.info.rate_hz or 0)
        if self.rate_hz <= 0:
            raise ValueError("the simulated device needs a sample rate")
        self.name = (name or motion.info.device_name or "edgehar-sim")[:31]
        self.channels = len(motion.info.channels)
        self.ranges = [FULL_SCALE.get(unit, 0.0) for unit in motion.info.units]
        self.scales = np.array([r / 32768 if r else 0.0 for r in self.ranges], dtype=np.float64)
        self.seq = 0
        self.sample_index = 0
        self.exhausted = False
        self._carry = np.zeros((0, self.channels), np.float32)

    def _fit_unknown_scales(self, block: np.ndarray) -> None:
        """Channels in units without a known range get one from the first data they carry."""
        for c in np.flatnonzero(self.scales == 0):
            peak = float(np.max(np.abs(block[:, c]))) if len(block) else 0.0
            self.ranges[c] = max(peak * 2.0, 1.0)
            self.scales[c] = self.ranges[c] / 32768

    def config(self, samples_per_frame: int) -> ConfigFrame:
        channels = tuple(
            ChannelSpec(label, unit, float(scale), float(rng))
            for label, unit, scale, rng in zip(self.info.channels, self.info.units, self.scales, self.ranges)
        )
        return ConfigFrame(round(self.rate_hz * 1000), channels, self.name, FIRMWARE, samples_per_frame)

    def config_payload(self, samples_per_frame: int) -> bytes:
        return encode_frame(self.config(samples_per_frame))

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` samples (fewer at the very end), advancing the device clock."""
        parts = [self._carry]
        have = len(self._carry)
        while have < n and not self.exhausted:
            segment = next(self.motion.segments, None)
            if segment is None:
                self.exhausted = True
                break
            parts.append(np.asarray(segment, np.float32))
            have += len(segment)
        joined = np.concatenate(parts) if len(parts) > 1 else parts[0]
        out, self._carry = joined[:n], joined[n:]
        if np.any(self.scales == 0):
            self._fit_unknown_scales(out)
        return out

    def data_payload(self, samples: np.ndarray) -> bytes:
        """One DATA frame for ``samples`` (n, C) in physical units; advances seq and clock."""
        raw = np.clip(np.round(samples / self.scales), -32768, 32767).astype(np.int16)
        t0 = round(self.sample_index * 1e6 / self.rate_hz) % _U32
        payload = encode_data(self.seq, t0, raw)
        self.seq = (self.seq + 1) & 0xFFFF
        self.sample_index += len(samples)
        return payload

    def text_payload(self, samples: np.ndarray) -> bytes:
        """CSV lines, one per sample, in physical units; advances the clock."""
        self.sample_index += len(samples)
        return "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in samples.tolist()).encode()

    def skip(self, samples: np.ndarray, binary: bool) -> None:
        """Account for samples measured while nobody listened (seq and clock move on)."""
        if binary:
            self.seq = (self.seq + 1) & 0xFFFF
        self.sample_index += len(samples)
