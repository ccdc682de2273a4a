"""Unit conversion between what a board sends and what the model was trained on.

Arduino libraries report g and deg/s, Adafruit's MPU6050 m/s^2 and rad/s, Polar mG; a model trained
on UTD-MHAD expects g and deg/s. Every unit maps to a physical dimension and a factor to SI, so a
stream in any spelling converts to the card's units by one multiply per channel, and a mix-up of
dimensions (an accelerometer fed where the model wants a gyroscope) is an error, not a silent scale.
"""

from __future__ import annotations

import math

import numpy as np

from edgehar.errors import EdgeharError

G = 9.80665

# spelling -> (dimension, factor to SI)
_UNITS: dict[str, tuple[str, float]] = {
    "m/s^2": ("acceleration", 1.0),
    "m/s2": ("acceleration", 1.0),
    "m/s**2": ("acceleration", 1.0),
    "g": ("acceleration", G),
    "mg": ("acceleration", G / 1000.0),
    "rad/s": ("angular rate", 1.0),
    "deg/s": ("angular rate", math.pi / 180.0),
    "dps": ("angular rate", math.pi / 180.0),
    "mdeg/s": ("angular rate", math.pi / 180000.0),
    "mdps": ("angular rate", math.pi / 180000.0),
    "t": ("magnetic flux density", 1.0),
    "ut": ("magnetic flux density", 1e-6),
    "µt": ("magnetic flux density", 1e-6),
    "gauss": ("magnetic flux density", 1e-4),
    "1": ("dimensionless", 1.0),
}


def _lookup(unit: str) -> tuple[str, float]:
    key = unit.strip().lower().replace(" ", "").replace("°", "deg")
    if key not in _UNITS:
        known = ", ".join(sorted({u for u in _UNITS if u.isascii()}))
        raise EdgeharError(f"unknown unit {unit!r} (known: {known})")
    return _UNITS[key]


def conversion_factors(source: tuple[str, ...], target: tuple[str, ...]) -> np.ndarray:
    """Per-channel factor that turns values in ``source`` units into ``target`` units."""
    if len(source) != len(target):
        raise EdgeharError(f"unit lists differ in length: stream {len(source)}, model {len(target)}")
    factors = np.empty(len(source), np.float64)
    for i, (s, t) in enumerate(zip(source, target)):
        s_dim, s_si = _lookup(s)
        t_dim, t_si = _lookup(t)
        if s_dim != t_dim:
            raise EdgeharError(f"channel {i}: stream unit {s!r} ({s_dim}) cannot feed model unit {t!r} ({t_dim})")
        factors[i] = s_si / t_si
    return factors
