"""Cross-modal hard-negative loss (CMC-HNL), the paper's method, row-wise as HCL defines it.

Anchor i of one modality has its own sample in the other modality as positive and the other
modality's B-1 remaining samples as negatives. ``beta = 0`` gives CMC-Debiased (DCL's estimator);
``beta = 0, tau_plus = 0`` gives CMC, apart from the clamp floor N*exp(-1/t).
"""

from __future__ import annotations

import torch

from edgehar.losses.hard_negative import check_hnl, hnl_loss_terms, log_negative_mass, log_reweighted_mass
from edgehar.losses.similarity import check_pair, cosine_logits


def cross_modal_hnl(
    z_imu: torch.Tensor,
    z_skel: torch.Tensor,
    *,
    temperature: float,
    beta: float,
    tau_plus: float,
    reference_compat: bool = False,
) -> torch.Tensor:
    """Mean over the 2B anchors (IMU->skeleton rows, then skeleton->IMU rows) of the HCL loss.

    ``reference_compat=True`` reproduces the published code instead: N = 2B-2 in the debiasing
    term and the floor although a row holds B-1 negatives, and the (2B, 1) x (2B,) broadcast that
    pairs every anchor's positive with every anchor's negative mass and averages all (2B)^2 terms.
    """
    check_pair(z_imu, z_skel, "cross_modal_hnl")
    check_hnl(temperature, beta, tau_plus, "cross_modal_hnl")
    b = z_imu.shape[0]
    logits = cosine_logits(z_imu, z_skel, temperature)
    rows = torch.cat([logits, logits.T], dim=0)  # (2B, B); row i's positive is column i mod B
    pos = torch.diagonal(logits).repeat(2)
    negatives = ~torch.eye(b, dtype=torch.bool, device=logits.device).repeat(2, 1)
    log_r = log_reweighted_mass(rows, negatives, beta, count=b - 1)
    if reference_compat:
        log_ng = log_negative_mass(
            pos[:, None], log_r[None, :], temperature=temperature, tau_plus=tau_plus, n=2 * b - 2
        )
        return hnl_loss_terms(pos[:, None], log_ng).mean()
    log_ng = log_negative_mass(pos, log_r, temperature=temperature, tau_plus=tau_plus, n=b - 1)
    return hnl_loss_terms(pos, log_ng).mean()
