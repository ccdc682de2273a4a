"""Heads on top of the encoders, and the small wrappers that make a classifier of them.

Shapes follow the reference: projection MLP 256 -> 128 for contrastive pretraining, a fusion
classifier that maps each modality to 256 before concatenating, and a single linear layer for
unimodal evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from edgehar.errors import EdgeharError


class ProjectionHead(nn.Module):
    """Linear -> BN -> ReLU -> Linear, L2-normalised output (the contrastive embedding)."""

    def __init__(self, in_dim: int, hidden_dim: int = 256, out_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden_dim),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, out_dim),
        )
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(x), dim=-1)


class FusionClassifier(nn.Module):
    """Per modality Linear -> BN -> ReLU to ``hidden_dim``, concatenate, one Linear to the classes."""

    def __init__(self, in_dims: Sequence[int], num_classes: int, hidden_dim: int = 256) -> None:
        super().__init__()
        if len(in_dims) < 1:
            raise EdgeharError("fusion classifier: needs at least one modality")
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Linear(d, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU()) for d in in_dims
        )
        self.classifier = nn.Linear(hidden_dim * len(in_dims), num_classes)
        self.num_classes = num_classes

    def forward(self, *features: torch.Tensor) -> torch.Tensor:
        """One (N, in_dims[k]) tensor per modality, in the order given at construction."""
        parts = [branch(f) for branch, f in zip(self.branches, features, strict=True)]
        return self.classifier(torch.cat(parts, dim=1))


class LinearClassifier(nn.Module):
    """A single Linear on frozen features: the linear-evaluation protocol."""

    def __init__(self, in_dim: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, num_classes)
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class MultimodalClassifier(nn.Module):
    """IMU encoder + skeleton encoder + fusion head as one module: (imu, skeleton) -> logits."""

    def __init__(self, imu_encoder: nn.Module, skeleton_encoder: nn.Module, fusion_head: FusionClassifier) -> None:
        super().__init__()
        self.imu_encoder = imu_encoder
        self.skeleton_encoder = skeleton_encoder
        self.head = fusion_head

    def forward(self, imu: torch.Tensor, skeleton: torch.Tensor) -> torch.Tensor:
        return self.head(self.imu_encoder(imu), self.skeleton_encoder(skeleton))


class UnimodalClassifier(nn.Module):
    """One encoder + one head as one module: input -> logits (what export turns into a model file)."""

    def __init__(self, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


# The IMU-only classifier is what runs on the wrist; export and the run directory call it by this name.
ImuClassifier = UnimodalClassifier
