"""CSSHAR-style IMU encoder exactly as the paper's reference code builds it.

Three Conv1d blocks (kernel 5, padding 1, so 50 steps become 44), a sinusoidal
positional encoding and a small post-norm Transformer, flattened without pooling. The sizes are
the reference's defaults; all of them are configurable so smaller edge students and ablations
reuse the same code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from edgehar.errors import EdgeharError


def conv_output_length(length: int, kernel_size: int, padding: int, n_layers: int) -> int:
    """Sequence length after ``n_layers`` stride-1 convolutions (what the flatten sees)."""
    for _ in range(n_layers):
        length = length + 2 * padding - kernel_size + 1
    return length


def sinusoidal_table(length: int, d_model: int) -> torch.Tensor:
    """(length, d_model) table of the Transformer paper's sine/cosine positions.

    d_model must be even (sine and cosine interleave pairwise).
    """
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    return table


class CssharEncoder(nn.Module):
    """(N, C, L) IMU windows -> (N, channels[-1] * L') features, L' = L - n*(kernel - 1 - 2*padding).

    Matches the reference ``CNNTransformer``: Conv1d -> BatchNorm1d -> ReLU per block, positional
    encoding with dropout, ``nn.TransformerEncoder`` with PyTorch's defaults (ReLU, post-norm, no
    final norm). The reference runs the Transformer sequence-first; running it batch-first here is
    the same computation and the flatten order is kept channel-major (index = c * L' + t).
    """

    def __init__(
        self,
        in_channels: int = 6,
        length: int = 50,
        channels: Sequence[int] = (32, 64, 128),
        kernel_size: int = 5,
        padding: int = 1,
        heads: int = 2,
        layers: int = 2,
        ff_dim: int = 2048,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if not channels:
            raise EdgeharError("imu encoder: 'channels' must list at least one convolution width")
        d_model = channels[-1]
        if d_model % heads != 0 or d_model % 2 != 0:
            raise EdgeharError(
                f"imu encoder: last channel width {d_model} must be even and divisible by heads={heads}"
            )
        out_length = conv_output_length(length, kernel_size, padding, len(channels))
        if out_length < 1:
            raise EdgeharError(
                f"imu encoder: a {length}-step window is too short for {len(channels)} convolutions "
                f"with kernel {kernel_size} and padding {padding}"
            )
        blocks: list[nn.Module] = []
        previous = in_channels
        for width in channels:
            blocks += [
                nn.Conv1d(previous, width, kernel_size=kernel_size, stride=1, padding=padding),
                nn.BatchNorm1d(width),
                nn.ReLU(),
            ]
            previous = width
        self.conv = nn.Sequential(*blocks)
        # Deterministic, so not part of the state dict: checkpoints stay independent of it.
        self.register_buffer("positions", sinusoidal_table(out_length, d_model), persistent=False)
        self.position_dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d_model=d_model,
            nhead=heads,
            dim_feedforward=ff_dim,
            dropout=dropout,
            batch_first=True,
        )
        # Nested tensors only help padded batches; ours are dense, and they get in the way of export.
        self.transformer = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.in_channels = in_channels
        self.length = length
        self.out_length = out_length
        self.out_dim = d_model * out_length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)  # (N, D, L')
        h = h.transpose(1, 2)  # (N, L', D)
        h = self.position_dropout(h + self.positions)
        h = self.transformer(h)
        return h.transpose(1, 2).flatten(1)
