"""Build encoders from the plain mappings a recipe holds, so YAML keys map 1:1 onto constructor sizes.

Input shapes (channels, length, joints) come from the data, not the recipe, and are passed apart.
Unknown keys are an error rather than silently ignored: a typo must not train the wrong model.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from edgehar.errors import EdgeharError
from edgehar.models.imu_encoder import CssharEncoder
from edgehar.models.skeleton_encoder import HcnEncoder

_SHAPE_KEYS = {"in_channels", "length", "joints"}


def _checked(kind: type, config: Mapping[str, Any], where: str) -> dict[str, Any]:
    allowed = set(inspect.signature(kind.__init__).parameters) - {"self"} - _SHAPE_KEYS
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise EdgeharError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return dict(config)


def build_imu_encoder(config: Mapping[str, Any], *, in_channels: int, length: int) -> CssharEncoder:
    """CSSHAR encoder from e.g. ``{"kernel_size": 5, "padding": 1, "heads": 2}`` (missing keys: defaults)."""
    return CssharEncoder(in_channels=in_channels, length=length, **_checked(CssharEncoder, config, "imu_encoder"))


def build_skeleton_encoder(config: Mapping[str, Any], *, in_channels: int, length: int, joints: int) -> HcnEncoder:
    """HCN encoder from e.g. ``{"channels": [64, 32, 32, 64, 128, 256]}`` (missing keys: defaults)."""
    return HcnEncoder(
        in_channels=in_channels,
        length=length,
        joints=joints,
        **_checked(HcnEncoder, config, "skeleton_encoder"),
    )
