"""NT-Xent, the SimCLR loss: each of the 2B views must pick its partner view among the other 2B-1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from edgehar.losses.similarity import check_pair, check_temperature, cosine_logits


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, *, temperature: float) -> torch.Tensor:
    """Mean over the 2B anchors of -log softmax(partner) over all other views of the batch.

    ``z1`` and ``z2`` are (B, D) projections of two augmentations of the same B samples.
    """
    check_pair(z1, z2, "nt_xent")
    check_temperature(temperature, "nt_xent")
    b = z1.shape[0]
    z = torch.cat([z1, z2], dim=0)
    logits = cosine_logits(z, z, temperature)
    self_mask = torch.eye(2 * b, dtype=torch.bool, device=logits.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    partner = torch.cat([torch.arange(b, 2 * b), torch.arange(b)]).to(logits.device)
    return F.cross_entropy(logits, partner)
