"""The distillation loss and the edge student's size/ops contract."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from edgehar.errors import EdgeharError  # noqa: E402
from edgehar.export.distill import kd_loss  # noqa: E402
from edgehar.models.edge_student import EdgeStudent, EdgeStudentConfig, count_parameters  # noqa: E402


def test_kd_loss_limits():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(8, 5, generator=g), torch.randn(8, 5, generator=g)
    y = torch.randint(0, 5, (8,), generator=g)
    ce = torch.nn.functional.cross_entropy(s, y)
    assert torch.allclose(kd_loss(s, t, y, alpha=0.0, temperature=4.0), ce)
    assert kd_loss(t, t, y, alpha=1.0, temperature=4.0).abs() < 1e-6  # matching the teacher costs nothing
    # KL(p || q) by hand, times T^2.
    T = 2.0
    p, q = torch.softmax(t / T, 1), torch.softmax(s / T, 1)
    manual = (p * (p.log() - q.log())).sum(1).mean() * T * T
    assert torch.allclose(kd_loss(s, t, y, alpha=1.0, temperature=T), manual, atol=1e-6)
    mixed = kd_loss(s, t, y, alpha=0.3, temperature=T)
    assert math.isclose(float(mixed), 0.3 * float(manual) + 0.7 * float(ce), rel_tol=1e-5)


def test_student_default_size_and_knobs():
    default = EdgeStudent()
    assert 40_000 <= count_parameters(default) <= 55_000
    assert count_parameters(EdgeStudent(EdgeStudentConfig(width=0.5))) < count_parameters(default)
    assert count_parameters(EdgeStudent(EdgeStudentConfig(depth=4))) > count_parameters(default)
    x = torch.randn(3, 6, 50)
    assert default.eval()(x).shape == (3, 27)
    short = EdgeStudent(EdgeStudentConfig(window_steps=6, depth=3)).eval()
    assert short(torch.randn(2, 6, 6)).shape == (2, 27)  # stops striding when time runs out
    with pytest.raises(EdgeharError, match="odd"):
        EdgeStudentConfig(kernel_size=4)
    with pytest.raises(EdgeharError, match="depth"):
        EdgeStudent(EdgeStudentConfig(depth=9))


def test_student_uses_only_micro_friendly_layers():
    allowed = (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.Dropout, torch.nn.Sequential, EdgeStudent)
    for module in EdgeStudent().modules():
        if type(module).__name__ == "_ConvBnRelu":
            continue
        assert isinstance(module, allowed), type(module).__name__
