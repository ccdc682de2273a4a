"""Batched rotation matrices and their time derivative, the shared maths of the body and the IMU."""

from __future__ import annotations

import numpy as np


def rot_x(deg: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations about x by ``deg`` degrees (N,)."""
    a = np.radians(np.asarray(deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def rot_y(deg: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations about y by ``deg`` degrees (N,)."""
    a = np.radians(np.asarray(deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def rot_z(deg: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations about z by ``deg`` degrees (N,)."""
    a = np.radians(np.asarray(deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def axis_angle(axis: np.ndarray, deg: float) -> np.ndarray:
    """One (3, 3) rotation about ``axis`` (Rodrigues), for small placement errors."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    a = np.radians(deg)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(a) * kx + (1.0 - np.cos(a)) * (kx @ kx)


def body_angular_velocity(r: np.ndarray, dt: float) -> np.ndarray:
    """Angular velocity in the rotating frame (rad/s) of a sampled rotation ``r`` (N, 3, 3).

    Central differences of R^T dR/dt, whose skew part is [omega]x; returns (N-2, 3) for the
    interior samples. Second-order accurate, which is plenty at the generator's internal rate.
    """
    dr = (r[2:] - r[:-2]) / (2.0 * dt)
    w = np.einsum("nji,njk->nik", r[1:-1], dr)
    return 0.5 * np.stack([w[:, 2, 1] - w[:, 1, 2], w[:, 0, 2] - w[:, 2, 0], w[:, 1, 0] - w[:, 0, 1]], -1)
