"""SimCLR with the hard-negative estimator (SimCLR-HNL): HCL over the 2B-2 negatives of each view."""

from __future__ import annotations

import torch

from edgehar.losses.hard_negative import check_hnl, hnl_loss_terms, log_negative_mass, log_reweighted_mass
from edgehar.losses.similarity import check_pair, cosine_logits


def simclr_hnl(
    z1: torch.Tensor,
    z2: torch.Tensor,
    *,
    temperature: float,
    beta: float,
    tau_plus: float,
    reference_compat: bool = False,
) -> torch.Tensor:
    """Mean over the 2B views of the HCL loss; ``beta = tau_plus = 0`` is NT-Xent up to the clamp.

    ``reference_compat=True`` reproduces the published code's (2B, 1) x (2B,) broadcast (every
    positive against every anchor's negative mass, mean over (2B)^2 terms). N = 2B-2 in both modes.
    """
    check_pair(z1, z2, "simclr_hnl")
    check_hnl(temperature, beta, tau_plus, "simclr_hnl")
    b = z1.shape[0]
    z = torch.cat([z1, z2], dim=0)
    logits = cosine_logits(z, z, temperature)
    partner = torch.cat([torch.arange(b, 2 * b), torch.arange(b)]).to(logits.device)
    pos = logits.gather(1, partner[:, None]).squeeze(1)
    eye = torch.eye(2 * b, dtype=torch.bool, device=logits.device)
    negatives = ~(eye | eye.roll(b, dims=1))
    n = 2 * b - 2
    log_r = log_reweighted_mass(logits, negatives, beta, count=n)
    if reference_compat:
        log_ng = log_negative_mass(pos[:, None], log_r[None, :], temperature=temperature, tau_plus=tau_plus, n=n)
        return hnl_loss_terms(pos[:, None], log_ng).mean()
    log_ng = log_negative_mass(pos, log_r, temperature=temperature, tau_plus=tau_plus, n=n)
    return hnl_loss_terms(pos, log_ng).mean()
