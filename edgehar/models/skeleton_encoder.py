"""HCN-style skeleton encoder, the variant the paper's reference code actually uses.

It differs from the published HCN: no padding anywhere, joints become channels after the second
convolution, and the joint and motion streams are concatenated along the height axis rather than
on channels. We keep those choices so pretrained numbers are comparable with the paper's.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from edgehar.errors import EdgeharError

_DEFAULT_CHANNELS = (64, 32, 32, 64, 128, 256)
_DEFAULT_KERNELS = ((1, 1), (3, 1), (3, 3), (3, 3), (3, 3), (3, 3))
_DEFAULT_POOLS: tuple[int | None, ...] = (None, None, 2, 2, 2, 2)


def _block(
    in_ch: int, out_ch: int, kernel: tuple[int, int], *, relu: bool, pool: int | None
) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, kernel), nn.BatchNorm2d(out_ch)]
    if relu:
        layers.append(nn.ReLU())
    if pool is not None:
        layers.append(nn.MaxPool2d(pool))
    return nn.Sequential(*layers)


def _after(size: tuple[int, int], kernel: tuple[int, int], pool: int | None) -> tuple[int, int]:
    h, w = size[0] - kernel[0] + 1, size[1] - kernel[1] + 1
    if pool is not None:
        h, w = h // pool, w // pool
    return h, w


class HcnEncoder(nn.Module):
    """(N, C, T, J) skeleton windows -> (N, out_dim) features (256 for UTD-MHAD and MMAct shapes).

    Stream (joints, and motion m[t] = x[t] - x[t-1] with m[0] = 0), kernels as (time, joint):
    conv1 1x1 + BN + ReLU; conv2 3x1 + BN; transpose to (N, J, C, T); conv3 + BN + pool;
    conv4 + BN + pool (no ReLU after conv2-4, as in the reference). Then the two streams are
    concatenated on the height axis, and conv5/conv6 (+ BN + ReLU + pool) give the output.
    """

    def __init__(
        self,
        in_channels: int = 3,
        length: int = 50,
        joints: int = 20,
        channels: Sequence[int] = _DEFAULT_CHANNELS,
        kernels: Sequence[Sequence[int]] = _DEFAULT_KERNELS,
        pools: Sequence[int | None] = _DEFAULT_POOLS,
    ) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        kernels_t = tuple((int(k[0]), int(k[1])) for k in kernels)
        pools_t = tuple(None if p is None else int(p) for p in pools)
        if not (len(channels) == len(kernels_t) == len(pools_t) == 6):
            raise EdgeharError("skeleton encoder: 'channels', 'kernels' and 'pools' need 6 entries each")

        size = _after((length, joints), kernels_t[0], pools_t[0])
        size = _after(size, kernels_t[1], pools_t[1])
        stream_joints = size[1]  # joints become channels after the transpose
        size = (channels[1], size[0])
        size = _after(size, kernels_t[2], pools_t[2])
        size = _after(size, kernels_t[3], pools_t[3])
        size = (2 * size[0], size[1])
        size = _after(size, kernels_t[4], pools_t[4])
        size = _after(size, kernels_t[5], pools_t[5])
        if min(size) < 1 or stream_joints < 1:
            raise EdgeharError(
                f"skeleton encoder: input ({in_channels}, {length}, {joints}) is too small for the "
                "configured kernels and pools"
            )

        def stream() -> nn.ModuleList:
            return nn.ModuleList(
                [
                    _block(in_channels, channels[0], kernels_t[0], relu=True, pool=pools_t[0]),
                    _block(channels[0], channels[1], kernels_t[1], relu=False, pool=pools_t[1]),
                    _block(stream_joints, channels[2], kernels_t[2], relu=False, pool=pools_t[2]),
                    _block(channels[2], channels[3], kernels_t[3], relu=False, pool=pools_t[3]),
                ]
            )

        self.joint_stream = stream()
        self.motion_stream = stream()
        self.conv5 = _block(channels[3], channels[4], kernels_t[4], relu=True, pool=pools_t[4])
        self.conv6 = _block(channels[4], channels[5], kernels_t[5], relu=True, pool=pools_t[5])
        self.in_channels = in_channels
        self.length = length
        self.joints = joints
        self.out_dim = channels[5] * size[0] * size[1]

    @staticmethod
    def _run(blocks: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
        x = blocks[1](blocks[0](x))
        x = x.permute(0, 3, 1, 2)  # (N, J, C, T): joints act as channels from here on
        return blocks[3](blocks[2](x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        motion = torch.cat([torch.zeros_like(x[:, :, :1]), x[:, :, 1:] - x[:, :, :-1]], dim=2)
        fused = torch.cat([self._run(self.joint_stream, x), self._run(self.motion_stream, motion)], dim=2)
        return self.conv6(self.conv5(fused)).flatten(1)
