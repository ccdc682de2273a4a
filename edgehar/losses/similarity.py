"""Shared input handling for the contrastive losses: checks, L2 normalisation, scaled cosine logits.

Every loss normalises its inputs itself so callers may pass raw projections; the work is done in
at least float32 because exp(s/t) at small temperatures and the log-space sums lose too much in
half precision (mixed-precision training still runs the encoders in half).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from edgehar.errors import EdgeharError


def check_pair(z1: torch.Tensor, z2: torch.Tensor, name: str) -> None:
    """Both batches must be (B, D) with the same shape and B >= 2 (a row needs a negative)."""
    if z1.dim() != 2 or z1.shape != z2.shape:
        raise EdgeharError(
            f"{name}: expected two (B, D) batches of equal shape, got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if z1.shape[0] < 2:
        raise EdgeharError(f"{name}: a batch of {z1.shape[0]} has no negatives; use at least 2 samples")


def check_temperature(temperature: float, name: str) -> None:
    if not temperature > 0:
        raise EdgeharError(f"{name}: temperature must be > 0, got {temperature}")


def normalized(z: torch.Tensor) -> torch.Tensor:
    """L2-normalised rows, promoted to float32 when the input is half precision."""
    if z.dtype in (torch.float16, torch.bfloat16):
        z = z.float()
    return F.normalize(z, dim=1)


def cosine_logits(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """(B1, B2) matrix cos(z1_i, z2_j) / temperature."""
    return normalized(z1) @ normalized(z2).T / temperature
