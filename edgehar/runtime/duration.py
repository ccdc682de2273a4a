"""Durations as people type them on a command line: ``30s``, ``0.5``, ``250ms``, ``2m``, ``1h``."""

from __future__ import annotations

import re

from edgehar.errors import EdgeharError

_SCALE = {"": 1.0, "s": 1.0, "ms": 1e-3, "m": 60.0, "min": 60.0, "h": 3600.0}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*([a-z]*)\s*$")


def parse_seconds(text: str, what: str = "duration") -> float:
    """Seconds in ``text`` (a bare number is seconds); a typo is a one-line error naming ``what``."""
    match = _PATTERN.match(text.lower())
    if not match or match.group(2) not in _SCALE:
        raise EdgeharError(f"{what}: cannot read {text!r} as a duration (e.g. 30s, 0.5, 250ms, 2m)")
    return float(match.group(1)) * _SCALE[match.group(2)]
