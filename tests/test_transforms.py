"""Batched augmentations: intended semantics, the reference behaviour, probabilities and determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.signal import resample

from edgehar.errors import EdgeharError
from edgehar.transforms import IMU_DEFAULTS, SKELETON_DEFAULTS, build_imu_augment, build_skeleton_augment
from edgehar.transforms.imu import ChannelShuffle, Jitter, Permutation, Rotation, Scaling
from edgehar.transforms.skeleton import CropAndResize, Rotation as SkRotation, Scaling as SkScaling, Shear

torch.set_num_threads(1)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def imu_batch(b: int = 64, c: int = 6, t: int = 50) -> torch.Tensor:
    return torch.randn(b, c, t, generator=gen(123))


def skel_batch(b: int = 32, d: int = 3, t: int = 50, j: int = 20) -> torch.Tensor:
    return torch.randn(b, d, t, j, generator=gen(321))


# ---- IMU -----------------------------------------------------------------------------------------------

def test_jitter_adds_noise_of_sigma():
    x = imu_batch(256)
    for rc in (False, True):
        d = Jitter(sigma=0.5, reference_compat=rc)(x, gen()) - x
        assert abs(float(d.mean())) < 0.01 and float(d.std()) == pytest.approx(0.5, rel=0.03)


def test_scaling_per_channel_vs_per_element():
    x = imu_batch().abs() + 0.5
    ratio = Scaling(sigma=0.3, p=1.0)(x, gen()) / x
    assert torch.allclose(ratio, ratio[:, :, :1].expand_as(ratio), rtol=1e-5)  # one factor per sample and channel
    assert float(ratio[:, :, 0].std()) == pytest.approx(0.3, rel=0.15)
    ref = Scaling(sigma=0.3, p=1.0, reference_compat=True)(x, gen()) / x
    assert float((ref - ref[:, :, :1]).abs().max()) > 0.1  # reference: a factor per element


def _fit_matrix(src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """Least-squares M with dst = M src for (3, T) arrays."""
    return torch.linalg.lstsq(src.T.double(), dst.T.double()).solution.T


def test_imu_rotation_turns_acc_and_gyro_together():
    x = imu_batch(16)
    out = Rotation(max_angle_deg=40.0, p=1.0)(x, gen())
    for b in range(16):
        r_acc = _fit_matrix(x[b, 0:3], out[b, 0:3])
        r_gyr = _fit_matrix(x[b, 3:6], out[b, 3:6])
        assert torch.allclose(r_acc, r_gyr, atol=1e-4)
        assert torch.allclose(r_acc @ r_acc.T, torch.eye(3, dtype=torch.float64), atol=1e-4)
        assert float(torch.linalg.det(r_acc)) == pytest.approx(1.0, abs=1e-4)
        angle = math.degrees(math.acos(max(-1.0, min(1.0, (float(torch.trace(r_acc)) - 1) / 2))))
        assert angle <= 40.0 + 1e-3
    norms = lambda v: v.reshape(16, 2, 3, 50).norm(dim=2)  # noqa: E731
    assert torch.allclose(norms(out), norms(x), atol=1e-4)


def test_imu_rotation_reference_is_an_elementwise_sign_flip():
    x = imu_batch()
    out = Rotation(p=1.0, reference_compat=True)(x, gen())
    assert torch.equal(out.abs(), x.abs())
    flips = (out != x).float().mean()
    assert 0.4 < float(flips) < 0.6


def test_imu_rotation_groups_must_fit():
    with pytest.raises(EdgeharError, match="do not fit 4 channels"):
        Rotation(p=1.0)(torch.zeros(2, 4, 10), gen())
    x = imu_batch(4, c=12)
    out = Rotation(groups=[0, 3, 6], p=1.0)(x, gen())
    assert torch.equal(out[:, 9:], x[:, 9:])  # orientation channels untouched


def _time_ramp(b: int, c: int, t: int) -> torch.Tensor:
    return torch.arange(t, dtype=torch.float32).expand(b, c, t).clone()


def test_permutation_moves_time_segments():
    x = _time_ramp(200, 6, 50)
    out = Permutation(max_segments=4, p=1.0)(x, gen())
    assert torch.equal(out, out[:, :1].expand_as(out))  # the same reordering for every channel
    assert torch.equal(out.sort(dim=2).values, x)  # a permutation of the time steps
    breaks = (out[:, 0].diff(dim=1) != 1).sum(dim=1)
    assert int(breaks.max()) <= 3  # at most 4 contiguous segments
    assert int((breaks > 0).sum()) > 100  # and usually really permuted


def test_permutation_reference_moves_channel_blocks():
    x = torch.arange(6, dtype=torch.float32)[None, :, None].expand(500, 6, 50).clone()
    out = Permutation(max_segments=3, p=1.0, reference_compat=True)(x, gen())
    assert torch.equal(out, out[:, :, :1].expand_as(out))  # time order untouched
    orders = {tuple(int(v) for v in out[b, :, 0]) for b in range(500)}
    assert orders == {(0, 1, 2, 3, 4, 5), (3, 4, 5, 0, 1, 2)}  # 1 or 2 blocks: sometimes acc and gyro swap


def test_permutation_block_sizes_follow_array_split():
    x = torch.arange(7, dtype=torch.float32)[None, :, None].expand(400, 7, 3).clone()
    out = Permutation(max_segments=4, p=1.0, reference_compat=True)(x, gen())
    allowed = set()
    for blocks in ([[0, 1, 2, 3], [4, 5, 6]], [[0, 1, 2], [3, 4], [5, 6]]):
        import itertools

        for perm in itertools.permutations(blocks):
            allowed.add(tuple(v for blk in perm for v in blk))
    allowed.add(tuple(range(7)))
    assert {tuple(int(v) for v in out[b, :, 0]) for b in range(400)} <= allowed


def test_channel_shuffle_intended_and_reference():
    x = torch.arange(6, dtype=torch.float32)[None, :, None].expand(100, 6, 50).clone() + _time_ramp(100, 6, 50) * 10
    out = ChannelShuffle(p=1.0)(x, gen())
    assert torch.equal(out % 10, out[:, :, :1].expand_as(out) % 10)  # one channel permutation for all steps
    assert torch.equal((out % 10).sort(dim=1).values, x % 10)
    assert torch.equal(out // 10, x // 10)  # time untouched
    ref = ChannelShuffle(p=1.0, reference_compat=True)(x, gen())
    assert torch.equal(ref % 10, x % 10)  # channels untouched
    assert not torch.equal(ref, x) and torch.equal((ref // 10).sort(dim=2).values, x // 10)


def test_probability_is_per_sample():
    x = imu_batch(4000, t=10)
    out = Jitter(sigma=1.0, p=0.3)(x, gen())
    changed = (out != x).any(dim=2).any(dim=1).float().mean()
    assert float(changed) == pytest.approx(0.3, abs=0.03)
    assert torch.equal(Jitter(p=0.0)(x, gen()), x)


@pytest.mark.parametrize("reference_compat", [False, True])
@pytest.mark.parametrize("preset", ["utd", "mmact"])
def test_presets_are_deterministic_given_a_generator(preset, reference_compat):
    c, d, j = (6, 3, 20) if preset == "utd" else (12, 2, 17)
    x, s = imu_batch(8, c=c), skel_batch(8, d=d, j=j)
    imu_aug = build_imu_augment(preset, reference_compat=reference_compat)
    sk_aug = build_skeleton_augment(preset, reference_compat=reference_compat)
    a1, a2, a3 = (imu_aug(x, gen(k)) for k in (5, 5, 6))
    b1, b2, b3 = (sk_aug(s, gen(k)) for k in (5, 5, 6))
    assert torch.equal(a1, a2) and torch.equal(b1, b2)
    assert not torch.equal(a1, a3) and not torch.equal(b1, b3)
    assert a1.shape == x.shape and b1.shape == s.shape and torch.isfinite(b1).all()
    assert len(imu_aug) == len(IMU_DEFAULTS[preset]) and len(sk_aug) == len(SKELETON_DEFAULTS[preset])


def test_builder_rejects_typos_with_their_path():
    with pytest.raises(EdgeharError, match=r"imu_augment\.jittering: unknown augmentation"):
        build_imu_augment({"jittering": {"p": 1.0}})
    with pytest.raises(EdgeharError, match=r"skeleton_augment\.rotation\.max_angle: unknown parameter"):
        build_skeleton_augment({"rotation": {"max_angle": 5}})
    with pytest.raises(EdgeharError, match=r"imu_augment\.scaling: .*probability p must be in \[0, 1\]"):
        build_imu_augment({"scaling": {"p": 2}})
    with pytest.raises(EdgeharError, match="unknown IMU augmentation preset 'ntu'"):
        build_imu_augment("ntu")
    assert len(build_imu_augment({"jitter": {"apply": False}, "scaling": None})) == 1
    assert len(build_imu_augment(None)) == 0


# ---- skeleton --------------------------------------------------------------------------------------------

def _frame_matrix(x: torch.Tensor, out: torch.Tensor, b: int, pivot: int | None) -> torch.Tensor:
    """Least-squares matrix mapping (joints - pivot) to (out joints - pivot), over all frames."""
    src, dst = x[b], out[b]
    if pivot is not None:
        src, dst = src - src[..., pivot:pivot + 1], dst - dst[..., pivot:pivot + 1]
    d = src.shape[0]
    return _fit_matrix(src.reshape(d, -1), dst.reshape(d, -1))


def test_skeleton_rotation_about_anchor_and_reference_pivot():
    x = skel_batch(8)
    out = SkRotation(max_angle_deg=10.0, anchor_joint=2, p=1.0)(x, gen())
    assert torch.allclose(out[..., 2], x[..., 2], atol=1e-5)  # the spine stays put
    ref = SkRotation(max_angle_deg=10.0, step_deg=2.0, p=1.0, reference_compat=True)(x, gen())
    assert torch.allclose(ref[..., 0], x[..., 0], atol=1e-5)  # the reference pivots on joint 0 (head)
    for b in range(8):
        r = _frame_matrix(x, ref, b, 0)
        beta = math.degrees(math.asin(float(r[0, 2])))
        gamma = math.degrees(math.atan2(-float(r[0, 1]), float(r[0, 0])))
        alpha = math.degrees(math.atan2(-float(r[1, 2]), float(r[2, 2])))
        for angle in (alpha, beta, gamma):  # R = Rx Ry Rz with angles on the 2-degree grid
            assert abs(angle) <= 10.0 + 1e-3 and abs(angle / 2 - round(angle / 2)) < 1e-3
        ri = _frame_matrix(x, out, b, 2)
        assert torch.allclose(ri @ ri.T, torch.eye(3, dtype=torch.float64), atol=1e-4)


def test_skeleton_rotation_2d():
    x = skel_batch(8, d=2, j=17)
    out = SkRotation(max_angle_deg=15.0, anchor_joint=None, p=1.0)(x, gen())
    centre = lambda v: v - v.mean(dim=3, keepdim=True)  # noqa: E731
    assert torch.allclose(centre(out).norm(dim=1), centre(x).norm(dim=1), atol=1e-4)
    assert torch.allclose(out.mean(dim=3), x.mean(dim=3), atol=1e-5)


def test_skeleton_scaling_per_axis_about_pivot():
    x = skel_batch(16)
    for rc, pivot in ((False, 2), (True, 0)):
        out = SkScaling(min_p=0.7, max_p=1.2, anchor_joint=2, p=1.0, reference_compat=rc)(x, gen())
        assert torch.allclose(out[..., pivot], x[..., pivot], atol=1e-5)
        for b in range(16):
            m = _frame_matrix(x, out, b, pivot)
            assert torch.allclose(m, torch.diag(torch.diagonal(m)), atol=1e-4)
            assert (torch.diagonal(m) >= 0.7 - 1e-4).all() and (torch.diagonal(m) <= 1.2 + 1e-4).all()


def test_shear_reference_rows_are_tied_about_origin():
    x = skel_batch(16)
    ref = Shear(sigma=0.2, p=1.0, reference_compat=True)(x, gen())
    out = Shear(sigma=0.2, anchor_joint=2, p=1.0)(x, gen())
    assert torch.allclose(out[..., 2], x[..., 2], atol=1e-5)
    tied = free = 0
    for b in range(16):
        m = _frame_matrix(x, ref, b, None)
        assert torch.allclose(torch.diagonal(m), torch.ones(3, dtype=torch.float64), atol=1e-4)
        tied += all(abs(float(m[i, k] - m[i, l])) < 1e-4 for i, (k, l) in enumerate([(1, 2), (0, 2), (0, 1)]))
        mi = _frame_matrix(x, out, b, 2)
        free += abs(float(mi[0, 1] - mi[0, 2])) > 1e-3
    assert tied == 16 and free >= 14


def test_crop_and_resize_intended_is_a_linear_crop():
    t = 50
    x = torch.arange(t, dtype=torch.float32)[None, None, :, None].expand(64, 3, t, 20).clone()
    out = CropAndResize(min_p=0.8, max_p=0.9, p=1.0)(x, gen())
    first, last = out[:, 0, 0, 0], out[:, 0, -1, 0]
    length = last - first + 1
    assert torch.allclose(out[:, 0, :, 0].diff(dim=1), ((length - 1) / (t - 1))[:, None].expand(64, t - 1), atol=1e-4)
    assert (length >= int(0.8 * t)).all() and (length <= int(0.9 * t)).all()
    assert (first >= 0).all() and (last <= t - 1).all()


def test_crop_and_resize_reference_uses_fft_resampling():
    x = skel_batch(6, t=50)
    out = CropAndResize(min_p=0.8, max_p=0.9, p=1.0, reference_compat=True)(x, gen())
    for b in range(6):
        candidates = [
            resample(x[b, :, s:s + n].numpy(), 50, axis=1)
            for n in range(40, 46) for s in range(0, 50 - n + 1)
        ]
        assert any(np.allclose(out[b].numpy(), c, atol=1e-4) for c in candidates)
