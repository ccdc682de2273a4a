"""The IMU-only student that ships to the wrist: a small strided 1-D CNN.

Every layer maps to an operator that TFLite and TensorFlow Lite Micro run as an int8 kernel
(CONV_2D, PAD, MEAN, ReLU fused into the convs); there is no
attention, no normalisation at inference time (BatchNorm folds into the convs) and no dynamic
shape. Time runs along the W axis of 2-D convolutions with (1, k) kernels: litert-torch then emits
one NCHW->NHWC transpose at the input instead of a reshape/transpose pair around every Conv1d.
Padding is an explicit integer, never ``padding="same"``, which litert-torch 0.10 cannot lower
(shared/notes/edge-export.md, gotcha 1); kernels are odd so integer padding is "same".

Full convolutions rather than depthwise-separable ones: an int8 file stores a float32 scale and an
int64 zero point per output channel for the weights and again for the bias (24 bytes a channel),
so a depthwise layer (k weights a channel) costs more in quantization parameters than in weights;
fewer, denser channels keep the ~50k-parameter default under 64 KB of flash.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from edgehar.errors import EdgeharError


@dataclass(frozen=True)
class EdgeStudentConfig:
    """Size knobs: ``width`` scales every channel count, ``depth`` is the number of strided blocks.

    The defaults (width 1.0, depth 3) give about 47k parameters for 6 channels and 27 classes.
    """

    in_channels: int = 6
    num_classes: int = 27
    window_steps: int = 50
    width: float = 1.0
    depth: int = 3
    kernel_size: int = 5
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.kernel_size % 2 == 0:
            raise EdgeharError(f"edge student kernel_size must be odd (integer 'same' padding), got {self.kernel_size}")

    def channels(self) -> list[int]:
        """Output channels of the stem and of each block; grows towards the head as time shrinks."""
        base = [24, 40, 64, 80, 96, 128, 160, 192]
        if not 1 <= self.depth <= len(base) - 1:
            raise EdgeharError(f"edge student depth must be 1..{len(base) - 1}, got {self.depth}")
        return [max(8, int(round(c * self.width / 8)) * 8) for c in base[: self.depth + 1]]


class _ConvBnRelu(nn.Module):
    """(1, k) Conv2d + BatchNorm + ReLU over (N, C, 1, T); symmetric integer padding."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, (1, kernel), stride=(1, stride), padding=(0, kernel // 2), bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class EdgeStudent(nn.Module):
    """(N, C, T) standardised IMU window -> (N, num_classes) logits."""

    def __init__(self, config: EdgeStudentConfig | None = None) -> None:
        super().__init__()
        self.config = config or EdgeStudentConfig()
        cfg = self.config
        chans = cfg.channels()
        self.stem = _ConvBnRelu(cfg.in_channels, chans[0], cfg.kernel_size)
        blocks = []
        steps = cfg.window_steps
        for cin, cout in zip(chans[:-1], chans[1:]):
            stride = 2 if steps >= 8 else 1  # halve time while there is time to halve
            blocks.append(_ConvBnRelu(cin, cout, cfg.kernel_size, stride))
            steps = (steps + stride - 1) // stride
        self.blocks = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Conv2d(chans[-1], cfg.num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x.unsqueeze(2)))
        # Classify every step, then average: the same as averaging then a dense layer (both are
        # linear), but litert-torch 0.10 gives a dense layer after MEAN an int32 bias quantized
        # with MEAN's calibrated output scale while the file reuses MEAN's input scale, so the
        # int8 logits come out biased; a 1x1 conv before MEAN has no such mismatch.
        return self.head(self.dropout(x)).mean(dim=(2, 3))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
