"""Batched skeleton augmentations on tensors (B, D, T, J), D = 3 (Kinect) or 2 (image keypoints).

Default behaviour is the intended one; ``reference_compat=True`` reproduces the reference code
(notes §6):

| name | intended (default) | reference_compat |
|---|---|---|
| jitter | + N(0, sigma) | same |
| crop_and_resize | contiguous crop of int(U(min_p, max_p) T) frames, linear interpolation back to T | same crop, FFT resample (scipy) |
| scaling | per-axis U(min_p, max_p) about ``anchor_joint`` of each frame | about joint 0 of each frame |
| rotation | 3-D: angles U(-max, max) about x, y, z, R = Rx Ry Rz; 2-D: one angle; about ``anchor_joint`` | angles on the grid {-max, -max+step, ..., max}, about joint 0 |
| shear | independent N(0, sigma) off-diagonal terms, about ``anchor_joint`` | rows tied ([[1,a,a],[b,1,b],[c,c,1]]) about the origin |

``anchor_joint=None`` pivots on the mean of the joints of each frame (for joint sets without a
spine, e.g. COCO keypoints). The reference stores ``anchor_joint: 2`` in its configs but pivots on
joint 0 (head / nose).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch

from edgehar.errors import EdgeharError
from edgehar.transforms.base import Augmentation, Compose, build, rand, randint, randn
from edgehar.transforms.imu import Jitter


def _pivot(x: torch.Tensor, joint: int | None) -> torch.Tensor:
    """(B, D, T, 1) pivot point per frame."""
    if joint is None:
        return x.mean(dim=3, keepdim=True)
    if not 0 <= joint < x.shape[3]:
        raise EdgeharError(f"anchor_joint {joint} outside 0..{x.shape[3] - 1}")
    return x[..., joint:joint + 1]


def _apply_linear(x: torch.Tensor, m: torch.Tensor, pivot: torch.Tensor | None) -> torch.Tensor:
    """x' = M (x - pivot) + pivot with one (D, D) matrix per sample (m: (B, D, D))."""
    centred = x if pivot is None else x - pivot
    out = torch.einsum("bde,betj->bdtj", m.to(x.dtype), centred)
    return out if pivot is None else out + pivot


class CropAndResize(Augmentation):
    def __init__(self, min_p: float = 0.8, max_p: float = 0.9, p: float = 0.75, reference_compat: bool = False) -> None:
        super().__init__(p, reference_compat)
        if not 0 < min_p <= max_p <= 1:
            raise EdgeharError(f"crop_and_resize: need 0 < min_p <= max_p <= 1, got {min_p}, {max_p}")
        self.min_p, self.max_p = min_p, max_p

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        b, _, t, _ = x.shape
        frac = self.min_p + (self.max_p - self.min_p) * rand(b, g=g, device=x.device)
        length = (frac * t).long().clamp(2, t)
        start = (rand(b, g=g, device=x.device) * (t - length + 1).to(frac.dtype)).long().clamp_max(t - length)
        if self.reference_compat:
            from scipy.signal import resample

            out = []
            for i in range(b):
                crop = x[i, :, start[i]:start[i] + length[i]].detach().cpu().numpy()
                out.append(torch.from_numpy(np.ascontiguousarray(resample(crop, t, axis=1))))
            return torch.stack(out).to(device=x.device, dtype=x.dtype)
        pos = start[:, None].to(x.dtype) + (length - 1)[:, None].to(x.dtype) * torch.linspace(0, 1, t, device=x.device)[None, :]
        i0 = pos.floor().long().clamp(0, t - 2)
        w = (pos - i0.to(x.dtype))[:, None, :, None]
        idx0 = i0[:, None, :, None].expand(b, x.shape[1], t, x.shape[3])
        return x.gather(2, idx0) * (1 - w) + x.gather(2, idx0 + 1) * w


class Scaling(Augmentation):
    def __init__(
        self, min_p: float = 0.7, max_p: float = 1.2, anchor_joint: int | None = 2, p: float = 0.75,
        reference_compat: bool = False,
    ) -> None:
        super().__init__(p, reference_compat)
        self.min_p, self.max_p, self.anchor_joint = min_p, max_p, anchor_joint

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        factors = self.min_p + (self.max_p - self.min_p) * rand(x.shape[0], x.shape[1], g=g, device=x.device)
        pivot = _pivot(x, 0 if self.reference_compat else self.anchor_joint)
        return _apply_linear(x, torch.diag_embed(factors), pivot)


def _axis_rotation(angle: torch.Tensor, axis: int) -> torch.Tensor:
    c, s = torch.cos(angle), torch.sin(angle)
    r = torch.eye(3, device=angle.device, dtype=angle.dtype).repeat(angle.shape[0], 1, 1)
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    r[:, i, i], r[:, j, j] = c, c
    # Same handedness as the reference: Ry has +sin at (0, 2); Rx and Rz have -sin at (i, j).
    sign = 1.0 if axis == 1 else -1.0
    r[:, i, j], r[:, j, i] = sign * s, -sign * s
    return r


class Rotation(Augmentation):
    def __init__(
        self, max_angle_deg: float = 10.0, step_deg: float = 2.0, anchor_joint: int | None = 2, p: float = 0.75,
        reference_compat: bool = False,
    ) -> None:
        super().__init__(p, reference_compat)
        self.max_angle_deg, self.step_deg, self.anchor_joint = max_angle_deg, step_deg, anchor_joint

    def _angles(self, n: int, g: torch.Generator | None, device: torch.device) -> torch.Tensor:
        if self.reference_compat:
            choices = torch.arange(-self.max_angle_deg, self.max_angle_deg + 1e-9, self.step_deg, device=device)
            deg = choices[randint(0, choices.numel(), (n,), g=g, device=device)]
        else:
            deg = (rand(n, g=g, device=device) * 2 - 1) * self.max_angle_deg
        return deg * (math.pi / 180.0)

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        b, d = x.shape[:2]
        if d == 2:
            a = self._angles(b, g, x.device)
            c, s = torch.cos(a), torch.sin(a)
            m = torch.stack([torch.stack([c, -s], 1), torch.stack([s, c], 1)], 1)
        elif d == 3:
            ax, ay, az = (self._angles(b, g, x.device) for _ in range(3))
            m = _axis_rotation(ax, 0) @ _axis_rotation(ay, 1) @ _axis_rotation(az, 2)
        else:
            raise EdgeharError(f"rotation: skeletons must be 2-D or 3-D, got D={d}")
        return _apply_linear(x, m, _pivot(x, 0 if self.reference_compat else self.anchor_joint))


class Shear(Augmentation):
    def __init__(
        self, sigma: float = 0.2, anchor_joint: int | None = 2, p: float = 0.75, reference_compat: bool = False,
    ) -> None:
        super().__init__(p, reference_compat)
        self.sigma, self.anchor_joint = sigma, anchor_joint

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        b, d = x.shape[:2]
        eye = torch.eye(d, device=x.device).expand(b, d, d)
        if self.reference_compat:
            per_row = self.sigma * randn(b, d, g=g, device=x.device)
            m = eye + per_row[:, :, None] * (1 - eye)
            return _apply_linear(x, m, None)
        m = eye + self.sigma * randn(b, d, d, g=g, device=x.device) * (1 - eye)
        return _apply_linear(x, m, _pivot(x, self.anchor_joint))


SKELETON_AUGMENTATIONS: dict[str, type[Augmentation]] = {
    "jitter": Jitter,
    "crop_and_resize": CropAndResize,
    "scaling": Scaling,
    "rotation": Rotation,
    "shear": Shear,
}

# The reference configs (augmentations_{utd,mmact}.yaml), in their order. Intended-mode pivots:
# the spine (joint 2) for Kinect skeletons, the joints' mean for COCO keypoints.
SKELETON_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "utd": {
        "jitter": {"p": 1.0, "sigma": 0.1},
        "crop_and_resize": {"p": 0.75, "min_p": 0.8, "max_p": 0.9},
        "scaling": {"p": 0.75, "min_p": 0.7, "max_p": 1.2, "anchor_joint": 2},
        "rotation": {"p": 0.75, "max_angle_deg": 10.0, "step_deg": 2.0, "anchor_joint": 2},
        "shear": {"p": 0.75, "sigma": 0.2, "anchor_joint": 2},
    },
    "mmact": {
        "jitter": {"p": 1.0, "sigma": 0.1},
        "crop_and_resize": {"p": 0.75, "min_p": 0.7, "max_p": 0.8},
        "scaling": {"p": 0.75, "min_p": 0.7, "max_p": 1.2, "anchor_joint": None},
        "rotation": {"p": 0.75, "max_angle_deg": 15.0, "step_deg": 2.0, "anchor_joint": None},
        "shear": {"p": 0.75, "sigma": 0.2, "anchor_joint": None},
    },
}


def build_skeleton_augment(config: Mapping[str, Any] | str | None = "utd", *, reference_compat: bool = False) -> Compose:
    """Augmentation pipeline from ``{name: {"p": .., **params}}`` or a preset name ("utd", "mmact")."""
    if config is None:
        return Compose([])
    if isinstance(config, str):
        if config not in SKELETON_DEFAULTS:
            raise EdgeharError(f"unknown skeleton augmentation preset '{config}' (choose from {', '.join(SKELETON_DEFAULTS)})")
        config = SKELETON_DEFAULTS[config]
    return build(SKELETON_AUGMENTATIONS, config, reference_compat=reference_compat, what="skeleton_augment")
