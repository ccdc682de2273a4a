"""Batched data augmentations (torch). Imported only by training code, never by the runtime."""

from edgehar.transforms.base import Augmentation, Compose
from edgehar.transforms.imu import IMU_DEFAULTS, build_imu_augment
from edgehar.transforms.skeleton import SKELETON_DEFAULTS, build_skeleton_augment

__all__ = ["Augmentation", "Compose", "IMU_DEFAULTS", "SKELETON_DEFAULTS", "build_imu_augment", "build_skeleton_augment"]
