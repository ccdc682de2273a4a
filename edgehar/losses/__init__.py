"""Contrastive losses (torch). Each takes two (B, D) projection batches, L2-normalises them itself
and returns the scalar mean over the 2B anchors. See docs/losses.md for the formulas."""

from edgehar.losses.cmkm import cmkm, feature_similarity
from edgehar.losses.cross_modal_hnl import cross_modal_hnl
from edgehar.losses.cross_modal_infonce import cross_modal_infonce
from edgehar.losses.nt_xent import nt_xent
from edgehar.losses.simclr_hnl import simclr_hnl

__all__ = ["cmkm", "cross_modal_hnl", "cross_modal_infonce", "feature_similarity", "nt_xent", "simclr_hnl"]
