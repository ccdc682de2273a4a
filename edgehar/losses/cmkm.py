"""CMC-CMKM (Brinzea et al. 2022): cross-modal InfoNCE with positives mined by frozen encoders.

Two frozen unimodal encoders (pretrained with SimCLR) give intra-modality similarity matrices
P_imu and P_skel of the batch. For IMU anchor i, with j_S = the sample most similar to i by the
skeleton encoder and j_I = the most similar by the IMU encoder (K = 1, never i itself):

    num = e(zI_i, zS_i)/t + e(zI_i, zS_jS)/t + e'(zI_i, zI_jI)
    den = sum_{k not in {i, jS}} e(zI_i, zS_k)/t + lambda * sum_{k not in {i, jI}} e'(zI_i, zI_k)
    loss_i = -log(num / (num + den))

with e(a, b)/t = exp(cos(a, b)/t) and the intra-modality term e'(a, b) = exp(cos(a, b)/t); skeleton
anchors mirror this (neighbours by the IMU encoder for the cross-modal positive, by the skeleton
encoder intra-modally). The reference code exponentiates the intra-modality cosines *without*
the temperature (e'(a, b) = exp(cos(a, b))); ``reference_compat=True`` does that, and also mines
with the reference's diagonal masking (P - I), which can return the anchor itself when all other
similarities are negative. With ``intra_weight = 0`` the intra-modality terms vanish entirely,
positives included, as in the reference.
"""

from __future__ import annotations

import math

import torch

from edgehar.errors import EdgeharError
from edgehar.losses.similarity import check_pair, check_temperature, cosine_logits, normalized


def feature_similarity(features: torch.Tensor) -> torch.Tensor:
    """(B, B) cosine matrix of frozen-encoder features (any trailing shape, flattened): CMKM's P."""
    flat = normalized(features.detach().flatten(1))
    return flat @ flat.T


def _mine(similarity: torch.Tensor, k: int, reference_compat: bool) -> torch.Tensor:
    """(B, B) bool: True at each row's k most similar other samples."""
    eye = torch.eye(similarity.shape[0], dtype=torch.bool, device=similarity.device)
    if reference_compat:
        scores = similarity - eye.to(similarity.dtype)
    else:
        scores = similarity.masked_fill(eye, float("-inf"))
    top = scores.topk(k, dim=1).indices
    return torch.zeros_like(eye).scatter(1, top, True)


def cmkm(
    z_imu: torch.Tensor,
    z_skel: torch.Tensor,
    *,
    sim_imu: torch.Tensor,
    sim_skel: torch.Tensor,
    temperature: float,
    k: int = 1,
    intra_weight: float = 1.0,
    reference_compat: bool = False,
) -> torch.Tensor:
    """Mean over the 2B anchors (IMU rows, then skeleton rows) of the CMKM loss.

    ``sim_imu``/``sim_skel`` are the (B, B) similarity matrices of the frozen IMU and skeleton
    encoders on this batch (``feature_similarity``); only their ranking is used, no gradient flows.
    Validation in the reference uses plain ``cross_modal_infonce`` instead.
    """
    check_pair(z_imu, z_skel, "cmkm")
    check_temperature(temperature, "cmkm")
    b = z_imu.shape[0]
    if sim_imu.shape != (b, b) or sim_skel.shape != (b, b):
        raise EdgeharError(
            f"cmkm: similarity matrices must be ({b}, {b}), got {tuple(sim_imu.shape)} and {tuple(sim_skel.shape)}"
        )
    if not 1 <= k < b:
        raise EdgeharError(f"cmkm: k must be in [1, {b - 1}] for a batch of {b}, got {k}")
    if not intra_weight >= 0:
        raise EdgeharError(f"cmkm: intra_weight must be >= 0, got {intra_weight}")

    mined_imu = _mine(sim_imu.detach(), k, reference_compat)
    mined_skel = _mine(sim_skel.detach(), k, reference_compat)
    eye = torch.eye(b, dtype=torch.bool, device=z_imu.device)
    logits = cosine_logits(z_imu, z_skel, temperature)
    inter = torch.cat([logits, logits.T], dim=0)  # (2B, B)
    # An IMU anchor's extra cross-modal positive is found by the skeleton encoder, and vice versa.
    inter_pos = torch.cat([eye | mined_skel, eye | mined_imu], dim=0)
    terms = [inter]
    pos_masks = [inter_pos]
    all_masks = [torch.ones_like(inter_pos)]
    if intra_weight > 0:
        intra_t = 1.0 if reference_compat else temperature
        intra = torch.cat([cosine_logits(z_imu, z_imu, intra_t), cosine_logits(z_skel, z_skel, intra_t)], dim=0)
        intra_pos = torch.cat([mined_imu, mined_skel], dim=0)
        # lambda weighs the intra-modality negatives only; adding log(lambda) to their logits does that.
        terms.append(intra + math.log(intra_weight) * ~intra_pos)
        pos_masks.append(intra_pos)
        all_masks.append(~eye.repeat(2, 1) | intra_pos)
    values = torch.cat(terms, dim=1)
    log_num = torch.logsumexp(values.masked_fill(~torch.cat(pos_masks, dim=1), float("-inf")), dim=1)
    log_all = torch.logsumexp(values.masked_fill(~torch.cat(all_masks, dim=1), float("-inf")), dim=1)
    return (log_all - log_num).mean()

