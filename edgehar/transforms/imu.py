"""Batched IMU augmentations on tensors (B, C, T).

Default behaviour is what the names say; ``reference_compat=True`` reproduces the reference code
exactly (see notes §6), whose IMU augmentations act on the wrong axis or per element:

| name | intended (default) | reference_compat |
|---|---|---|
| jitter | + N(0, sigma) per element | same |
| scaling | x N(1, sigma) per sample and channel | x N(1, sigma) per element |
| rotation | one random 3-D rotation per sample applied to every xyz triplet (acc and gyro of the same sensor turn together) | random sign +-1 per element |
| permutation | time split into n ~ U{2..max_segments} equal segments, segments permuted | *channels* split into n ~ U{1..max_segments-1} blocks, blocks permuted |
| channel_shuffle | random permutation of the channels | random permutation of the *time steps* |
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from edgehar.errors import EdgeharError
from edgehar.transforms.base import Augmentation, Compose, build, rand, randint, randn


class Jitter(Augmentation):
    def __init__(self, sigma: float = 1.0, p: float = 1.0, reference_compat: bool = False) -> None:
        super().__init__(p, reference_compat)
        self.sigma = sigma

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        return x + self.sigma * randn(*x.shape, g=g, device=x.device)


class Scaling(Augmentation):
    def __init__(self, sigma: float = 1.0, p: float = 0.75, reference_compat: bool = False) -> None:
        super().__init__(p, reference_compat)
        self.sigma = sigma

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        shape = x.shape if self.reference_compat else (x.shape[0], x.shape[1], 1)
        return x * (1.0 + self.sigma * randn(*shape, g=g, device=x.device))


def random_rotations(n: int, max_angle_deg: float, g: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """(n, 3, 3) rotations about uniformly random axes by angles uniform in [-max, max] (Rodrigues)."""
    axis = randn(n, 3, g=g, device=device)
    axis = axis / axis.norm(dim=1, keepdim=True).clamp_min(1e-12)
    angle = (rand(n, g=g, device=device) * 2.0 - 1.0) * math.radians(max_angle_deg)
    k = torch.zeros(n, 3, 3, device=device)
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(1, 2)
    s, c = torch.sin(angle)[:, None, None], torch.cos(angle)[:, None, None]
    return torch.eye(3, device=device).expand(n, 3, 3) + s * k + (1.0 - c) * (k @ k)


class Rotation(Augmentation):
    """Rotate every sensor triplet of a sample by the same random rotation.

    ``groups`` lists the first channel of each xyz triplet (default: 0, 3, 6, ... covering all
    channels). One rotation per sample keeps acc and gyro of a rigidly attached sensor consistent:
    a sensor mounted at a different angle sees both rotated the same way.
    """

    def __init__(
        self,
        max_angle_deg: float = 30.0,
        groups: list[int] | None = None,
        p: float = 0.75,
        reference_compat: bool = False,
    ) -> None:
        super().__init__(p, reference_compat)
        self.max_angle_deg = max_angle_deg
        self.groups = groups

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        if self.reference_compat:
            return x * (randint(0, 2, tuple(x.shape), g=g, device=x.device) * 2 - 1).to(x.dtype)
        groups = self.groups if self.groups is not None else list(range(0, x.shape[1], 3))
        if not groups or (self.groups is None and x.shape[1] % 3) or any(c < 0 or c + 3 > x.shape[1] for c in groups):
            raise EdgeharError(f"rotation: channel groups {groups} do not fit {x.shape[1]} channels (need xyz triplets)")
        r = random_rotations(x.shape[0], self.max_angle_deg, g, x.device).to(x.dtype)
        out = x.clone()
        for c in groups:
            out[:, c:c + 3] = r @ x[:, c:c + 3]
        return out


def _block_permutation(n_items: int, n_segments: torch.Tensor, g: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Per sample, index (B, n_items) that splits 0..n_items-1 into ``n_segments`` near-equal contiguous
    blocks (as numpy.array_split) and permutes the blocks."""
    b = n_segments.shape[0]
    pos = torch.arange(n_items, device=device).expand(b, n_items)
    n = n_segments.clamp(1, n_items)[:, None]
    base, extra = n_items // n, n_items % n
    # array_split: the first `extra` blocks have base + 1 items.
    big = extra * (base + 1)
    seg = torch.where(pos < big, pos // (base + 1), extra + (pos - big) // base.clamp_min(1))
    max_seg = int(n.max())
    keys = rand(b, max_seg, g=g, device=device)
    keys = torch.where(torch.arange(max_seg, device=device)[None, :] < n, keys, 2.0)
    rank = torch.argsort(torch.argsort(keys, dim=1), dim=1)  # new position of each segment
    order = rank.gather(1, seg) * n_items + pos
    return torch.argsort(order, dim=1)


class Permutation(Augmentation):
    def __init__(self, max_segments: int = 3, p: float = 0.75, reference_compat: bool = False) -> None:
        super().__init__(p, reference_compat)
        if max_segments < 2:
            raise EdgeharError(f"permutation: max_segments must be >= 2, got {max_segments}")
        self.max_segments = max_segments

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        b = x.shape[0]
        if self.reference_compat:
            n = randint(1, self.max_segments, (b,), g=g, device=x.device)
            idx = _block_permutation(x.shape[1], n, g, x.device)
            return x.gather(1, idx[:, :, None].expand_as(x))
        n = randint(2, self.max_segments + 1, (b,), g=g, device=x.device)
        idx = _block_permutation(x.shape[2], n, g, x.device)
        return x.gather(2, idx[:, None, :].expand_as(x))


class ChannelShuffle(Augmentation):
    def __init__(self, p: float = 0.75, reference_compat: bool = False) -> None:
        super().__init__(p, reference_compat)

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        axis = 2 if self.reference_compat else 1
        perm = torch.argsort(rand(x.shape[0], x.shape[axis], g=g, device=x.device), dim=1)
        if axis == 1:
            return x.gather(1, perm[:, :, None].expand_as(x))
        return x.gather(2, perm[:, None, :].expand_as(x))


IMU_AUGMENTATIONS: dict[str, type[Augmentation]] = {
    "jitter": Jitter,
    "scaling": Scaling,
    "rotation": Rotation,
    "permutation": Permutation,
    "channel_shuffle": ChannelShuffle,
}

# The reference configs (augmentations_{utd,mmact}.yaml of the paper repo), in their order.
IMU_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "utd": {
        "jitter": {"p": 1.0, "sigma": 1.0},
        "scaling": {"p": 0.75, "sigma": 1.0},
        "permutation": {"p": 0.75, "max_segments": 3},
        "channel_shuffle": {"p": 0.75},
    },
    "mmact": {
        "jitter": {"p": 1.0, "sigma": 1.0},
        "scaling": {"p": 0.75, "sigma": 1.0},
        "rotation": {"p": 0.75, "groups": [0, 3, 6]},  # orientation (Euler angles) is not a vector
    },
}


def build_imu_augment(config: Mapping[str, Any] | str | None = "utd", *, reference_compat: bool = False) -> Compose:
    """Augmentation pipeline from ``{name: {"p": .., **params}}`` or a preset name ("utd", "mmact")."""
    if config is None:
        return Compose([])
    if isinstance(config, str):
        if config not in IMU_DEFAULTS:
            raise EdgeharError(f"unknown IMU augmentation preset '{config}' (choose from {', '.join(IMU_DEFAULTS)})")
        config = IMU_DEFAULTS[config]
    return build(IMU_AUGMENTATIONS, config, reference_compat=reference_compat, what="imu_augment")
