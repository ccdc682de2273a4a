"""Encoders and heads: reference shapes and parameter counts, reference forward order, export."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from edgehar.errors import EdgeharError
from edgehar.models import (
    CssharEncoder,
    FusionClassifier,
    HcnEncoder,
    ImuClassifier,
    LinearClassifier,
    MultimodalClassifier,
    ProjectionHead,
    build_imu_encoder,
    build_skeleton_encoder,
)

torch.set_num_threads(1)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_csshar_reference_shape_and_size() -> None:
    enc = CssharEncoder(in_channels=6, length=50)
    assert enc.out_length == 44
    assert enc.out_dim == 5632
    assert enc(torch.randn(3, 6, 50)).shape == (3, 5632)
    # conv 52,832 + 2 x 593,024 transformer layers (notes section 1); 12 channels add 6 * 32 * 5.
    assert n_params(enc) == 1_238_880
    assert n_params(CssharEncoder(in_channels=12, length=50)) == 1_238_880 + 960


def test_csshar_supervised_reference_kernel_keeps_length() -> None:
    enc = build_imu_encoder({"kernel_size": 3}, in_channels=6, length=50)
    assert enc.out_dim == 6400
    assert enc(torch.randn(2, 6, 50)).shape == (2, 6400)


def reference_positions(max_len: int, d_model: int) -> torch.Tensor:
    """The word-language-model positional table the reference uses, shaped (max_len, 1, d_model)."""
    pe = torch.zeros(max_len, d_model)
    position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe.unsqueeze(1)


@pytest.mark.parametrize("grad", [False, True])
def test_csshar_batch_first_equals_the_sequence_first_reference(grad: bool) -> None:
    torch.manual_seed(0)
    enc = CssharEncoder(in_channels=6, length=50).eval()
    layer = nn.TransformerEncoderLayer(d_model=128, nhead=2)  # sequence-first, as the reference
    ref = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False).eval()
    ref.load_state_dict(enc.transformer.state_dict())
    x = torch.randn(4, 6, 50)
    with torch.set_grad_enabled(grad):
        h = enc.conv(x).permute(2, 0, 1)  # (T', N, D), as the reference
        h = h + reference_positions(50, 128)[: h.size(0)]
        expected = ref(h).permute(1, 2, 0).flatten(1)
        got = enc(x)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("shape", "joints"), [((3, 50, 20), 20), ((2, 50, 17), 17)])
def test_hcn_gives_256_features_for_utd_and_mmact(shape: tuple[int, int, int], joints: int) -> None:
    enc = build_skeleton_encoder({}, in_channels=shape[0], length=shape[1], joints=joints)
    assert enc.out_dim == 256
    assert enc(torch.randn(2, *shape)).shape == (2, 256)


def test_hcn_parameter_count_for_utd() -> None:
    assert n_params(HcnEncoder(in_channels=3, length=50, joints=20)) == 432_000


def test_hcn_forward_follows_the_reference_order() -> None:
    """Motion stream, joints-as-channels transpose and height-axis concatenation, spelled out."""
    torch.manual_seed(1)
    enc = HcnEncoder().eval()
    x = torch.randn(2, 3, 50, 20)
    motion = torch.zeros_like(x)
    motion[:, :, 1:, :] = x[:, :, 1:, :] - x[:, :, :-1, :]
    streams = []
    for blocks, inp in ((enc.joint_stream, x), (enc.motion_stream, motion)):
        h = blocks[1](blocks[0](inp)).permute(0, 3, 1, 2)
        streams.append(blocks[3](blocks[2](h)))
    assert streams[0].shape == (2, 64, 6, 10)
    fused = torch.cat(streams, dim=2)
    expected = enc.conv6(enc.conv5(fused)).flatten(1)
    torch.testing.assert_close(enc(x), expected)


def test_configured_sizes_propagate() -> None:
    imu = build_imu_encoder(
        {"channels": [8, 16], "kernel_size": 3, "padding": 0, "heads": 4, "layers": 1, "ff_dim": 32},
        in_channels=3,
        length=20,
    )
    assert imu.out_dim == 16 * 16
    assert imu(torch.randn(2, 3, 20)).shape == (2, 256)
    skel = build_skeleton_encoder(
        {"channels": [16, 32, 8, 8, 8, 16]}, in_channels=3, length=50, joints=20
    )
    assert skel.out_dim == 16
    assert skel(torch.randn(2, 3, 50, 20)).shape == (2, 16)


def test_bad_configurations_raise_one_line_errors() -> None:
    with pytest.raises(EdgeharError, match="unknown key.*kernel"):
        build_imu_encoder({"kernel": 5}, in_channels=6, length=50)
    with pytest.raises(EdgeharError, match="too short"):
        build_imu_encoder({"kernel_size": 9, "padding": 0}, in_channels=6, length=20)
    with pytest.raises(EdgeharError, match="divisible by heads"):
        build_imu_encoder({"heads": 3}, in_channels=6, length=50)
    with pytest.raises(EdgeharError, match="too small"):
        build_skeleton_encoder({}, in_channels=3, length=20, joints=20)
    with pytest.raises(EdgeharError, match="6 entries"):
        build_skeleton_encoder({"channels": [8, 8]}, in_channels=3, length=50, joints=20)


def test_heads_shapes_and_normalisation() -> None:
    proj = ProjectionHead(5632)
    z = proj(torch.randn(4, 5632))
    assert z.shape == (4, 128)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(4))
    fusion = FusionClassifier([5632, 256], num_classes=27)
    assert fusion(torch.randn(4, 5632), torch.randn(4, 256)).shape == (4, 27)
    assert n_params(fusion) == (5632 * 256 + 256 + 512) + (256 * 256 + 256 + 512) + (512 * 27 + 27)
    assert LinearClassifier(256, 27)(torch.randn(4, 256)).shape == (4, 27)


def test_classifiers_export_with_torch_export() -> None:
    torch.manual_seed(2)
    imu, skel = CssharEncoder(in_channels=6, length=50), HcnEncoder()
    mm = MultimodalClassifier(imu, skel, FusionClassifier([imu.out_dim, skel.out_dim], 27)).eval()
    uni = ImuClassifier(imu, LinearClassifier(imu.out_dim, 27)).eval()
    x, s = torch.randn(2, 6, 50), torch.randn(2, 3, 50, 20)
    exported = torch.export.export(uni, (x,))
    torch.testing.assert_close(exported.module()(x), uni(x), rtol=1e-5, atol=1e-5)
    exported = torch.export.export(mm, (x, s))
    torch.testing.assert_close(exported.module()(x, s), mm(x, s), rtol=1e-5, atol=1e-5)
