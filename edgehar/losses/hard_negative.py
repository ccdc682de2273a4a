"""The hard-negative estimator of Robinson et al. (HCL), computed in log space.

For an anchor with positive logit a = s_pos/t and negative logits l_j = s_j/t (j over the row's
negatives), with weights w_j = exp(beta * l_j):

    R  = sum_j w_j exp(l_j) / mean_j w_j
    Ng = max((R - tau_plus * N * exp(a)) / (1 - tau_plus), N * exp(-1/t))
    loss = -log(exp(a) / (exp(a) + Ng)) = softplus(log Ng - a)

Written with exponentials this overflows or cancels at small temperatures (t = 0.05 puts
exp(s/t) anywhere in [e^-20, e^20]), so everything below works on logarithms: log R is a
difference of two logsumexps and the debiasing subtraction uses log(1 - e^d).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from edgehar.errors import EdgeharError

# Keeps log(1 - e^d) and its gradient finite on the branch torch.where discards.
_TINY = 1e-30


def check_hnl(temperature: float, beta: float, tau_plus: float, name: str) -> None:
    if not temperature > 0:
        raise EdgeharError(f"{name}: temperature must be > 0, got {temperature}")
    if not beta >= 0:
        raise EdgeharError(f"{name}: beta must be >= 0, got {beta}")
    if not 0 <= tau_plus < 1:
        raise EdgeharError(f"{name}: tau_plus must be in [0, 1), got {tau_plus}")


def _log1mexp(x: torch.Tensor) -> torch.Tensor:
    """log(1 - e^x) for x < 0, accurate near 0 and for very negative x (Maechler's split)."""
    return torch.where(x > -math.log(2.0), torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))


def log_reweighted_mass(logits: torch.Tensor, negatives: torch.Tensor, beta: float, count: int) -> torch.Tensor:
    """log R per row: ``logits`` (R, M), ``negatives`` (R, M) bool marking the row's ``count`` negatives."""
    masked = logits.masked_fill(~negatives, float("-inf"))
    if beta == 0:
        return torch.logsumexp(masked, dim=1)  # uniform weights: R is the plain sum
    return math.log(count) + torch.logsumexp((1 + beta) * masked, dim=1) - torch.logsumexp(beta * masked, dim=1)


def log_negative_mass(
    pos_logit: torch.Tensor, log_r: torch.Tensor, *, temperature: float, tau_plus: float, n: int
) -> torch.Tensor:
    """log Ng, broadcasting ``pos_logit`` against ``log_r`` (same shape row-wise; (R, 1) x (R,) for the
    reference's broadcast)."""
    log_floor = math.log(n) - 1.0 / temperature
    pos_logit, log_r = torch.broadcast_tensors(pos_logit, log_r)
    if tau_plus == 0:
        return torch.clamp(log_r, min=log_floor)
    # R - tau*N*pos = R * (1 - e^d) with d = log(tau*N*pos) - log R; non-positive when d >= 0.
    d = math.log(tau_plus * n) + pos_logit - log_r
    positive = d < 0
    d_safe = torch.clamp(torch.where(positive, d, torch.full_like(d, -1.0)), max=-_TINY)
    debiased = log_r + _log1mexp(d_safe) - math.log1p(-tau_plus)
    debiased = torch.where(positive, debiased, torch.full_like(debiased, float("-inf")))
    return torch.clamp(debiased, min=log_floor)


def hnl_loss_terms(pos_logit: torch.Tensor, log_ng: torch.Tensor) -> torch.Tensor:
    """-log(pos / (pos + Ng)) from logarithms, elementwise (broadcasting as ``log_negative_mass`` did)."""
    return F.softplus(log_ng - pos_logit)
