"""Cross-modal InfoNCE, the CMC baseline: an IMU window must find its own skeleton clip and back."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from edgehar.losses.similarity import check_pair, check_temperature, cosine_logits


def cross_modal_infonce(z_imu: torch.Tensor, z_skel: torch.Tensor, *, temperature: float) -> torch.Tensor:
    """Mean over both directions (2B rows) of cross-entropy on the (B, B) cross-modal cosine logits.

    Only the other modality's samples are candidates (no intra-modality negatives), as in the
    reference CMC implementation.
    """
    check_pair(z_imu, z_skel, "cross_modal_infonce")
    check_temperature(temperature, "cross_modal_infonce")
    logits = cosine_logits(z_imu, z_skel, temperature)
    target = torch.arange(logits.shape[0], device=logits.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
