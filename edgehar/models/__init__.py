"""Encoders and heads (torch). Imported only by training and export, never by the runtime."""

from edgehar.models.build import build_imu_encoder, build_skeleton_encoder
from edgehar.models.heads import (
    FusionClassifier,
    ImuClassifier,
    LinearClassifier,
    MultimodalClassifier,
    ProjectionHead,
    UnimodalClassifier,
)
from edgehar.models.imu_encoder import CssharEncoder
from edgehar.models.skeleton_encoder import HcnEncoder

__all__ = [
    "CssharEncoder",
    "FusionClassifier",
    "HcnEncoder",
    "ImuClassifier",
    "LinearClassifier",
    "MultimodalClassifier",
    "ProjectionHead",
    "UnimodalClassifier",
    "build_imu_encoder",
    "build_skeleton_encoder",
]
