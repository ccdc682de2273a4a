"""Modules of a run, built from its recipe and its data shapes.

Training and ``RunDir`` both build through here, so a state dict saved by one always fits the
module built by the other. Shapes come from run.json's ``dataset`` entry (``imu_shape`` (C, L),
``skeleton_shape`` (D, L, J)).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from edgehar.models import FusionClassifier, LinearClassifier, ProjectionHead, build_imu_encoder, build_skeleton_encoder
from edgehar.train.recipe import Recipe


def imu_encoder(recipe: Recipe, dataset: dict[str, Any]) -> nn.Module:
    c, length = dataset["imu_shape"]
    return build_imu_encoder(recipe.model.imu.model_dump(), in_channels=c, length=length)


def skeleton_encoder(recipe: Recipe, dataset: dict[str, Any]) -> nn.Module:
    d, length, joints = dataset["skeleton_shape"]
    return build_skeleton_encoder(recipe.model.skeleton.model_dump(), in_channels=d, length=length, joints=joints)


def encoder(recipe: Recipe, dataset: dict[str, Any], modality: str) -> nn.Module:
    return imu_encoder(recipe, dataset) if modality == "imu" else skeleton_encoder(recipe, dataset)


def projection(recipe: Recipe, in_dim: int) -> nn.Module:
    return ProjectionHead(in_dim, recipe.model.projection_hidden, recipe.model.projection_out)


def fusion_head(recipe: Recipe, imu_dim: int, skeleton_dim: int, num_classes: int) -> FusionClassifier:
    return FusionClassifier([imu_dim, skeleton_dim], num_classes, hidden_dim=recipe.model.fusion_hidden)


def linear_head(in_dim: int, num_classes: int) -> LinearClassifier:
    return LinearClassifier(in_dim, num_classes)
