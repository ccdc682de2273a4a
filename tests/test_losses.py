"""Contrastive losses against closed forms, literal per-anchor loops and the reference's broadcast."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from edgehar.errors import EdgeharError
from edgehar.losses import cmkm, cross_modal_hnl, cross_modal_infonce, feature_similarity, nt_xent, simclr_hnl

torch.set_num_threads(1)

HNL_SETTINGS = [  # (temperature, beta, tau_plus): Table 1 values and the special cases
    (0.1, 1.0, 0.037),
    (0.5, 0.5, 0.037),
    (0.4, 1.5, 0.027),
    (0.1, 0.0, 0.1),
    (0.5, 0.0, 0.0),
    (0.2, 2.0, 0.0),
]


def pair(
    b: int = 8, d: int = 16, seed: int = 0, dtype: torch.dtype = torch.float64
) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    z1 = torch.randn(b, d, generator=g, dtype=dtype)
    # Correlated views, so positives are more similar than negatives as in training.
    z2 = z1 + 0.7 * torch.randn(b, d, generator=g, dtype=dtype)
    return z1, z2


def cos(u: torch.Tensor, v: torch.Tensor) -> float:
    return float(u @ v / (u.norm() * v.norm()))


def hcl_anchor(pos_sim: float, neg_sims: list[float], t: float, beta: float, tau: float, n: int) -> float:
    """The HCL formula for one anchor, written out with plain floats."""
    pos = math.exp(pos_sim / t)
    negs = [math.exp(s / t) for s in neg_sims]
    w = [x**beta for x in negs]
    r = sum(wi * ni for wi, ni in zip(w, negs)) / (sum(w) / len(w))
    ng = max((r - tau * n * pos) / (1 - tau), n * math.exp(-1 / t))
    return -math.log(pos / (pos + ng))


def loop_cross_modal_hnl(a: torch.Tensor, b: torch.Tensor, t: float, beta: float, tau: float) -> float:
    size = a.shape[0]
    losses = []
    for x, y in ((a, b), (b, a)):
        for i in range(size):
            negs = [cos(x[i], y[j]) for j in range(size) if j != i]
            losses.append(hcl_anchor(cos(x[i], y[i]), negs, t, beta, tau, n=size - 1))
    return sum(losses) / len(losses)


def loop_simclr_hnl(a: torch.Tensor, b: torch.Tensor, t: float, beta: float, tau: float) -> float:
    z = torch.cat([a, b])
    size = a.shape[0]
    losses = []
    for i in range(2 * size):
        partner = (i + size) % (2 * size)
        negs = [cos(z[i], z[j]) for j in range(2 * size) if j not in (i, partner)]
        losses.append(hcl_anchor(cos(z[i], z[partner]), negs, t, beta, tau, n=2 * size - 2))
    return sum(losses) / len(losses)


def loop_infonce(a: torch.Tensor, b: torch.Tensor, t: float) -> float:
    size = a.shape[0]
    losses = []
    for x, y in ((a, b), (b, a)):
        for i in range(size):
            logits = [cos(x[i], y[j]) / t for j in range(size)]
            losses.append(-logits[i] + math.log(sum(math.exp(v) for v in logits)))
    return sum(losses) / len(losses)


def loop_nt_xent(a: torch.Tensor, b: torch.Tensor, t: float) -> float:
    z = torch.cat([a, b])
    size = a.shape[0]
    losses = []
    for i in range(2 * size):
        partner = (i + size) % (2 * size)
        others = [cos(z[i], z[j]) / t for j in range(2 * size) if j != i]
        losses.append(-cos(z[i], z[partner]) / t + math.log(sum(math.exp(v) for v in others)))
    return sum(losses) / len(losses)


def reference_broadcast(
    pos: torch.Tensor, neg: torch.Tensor, t: float, beta: float, tau: float, n: int
) -> torch.Tensor:
    """Literal transcription of the published estimator's tensor shapes: pos (2B, 1), neg (2B, M)."""
    imp = (beta * neg.log()).exp()
    reweight_neg = (imp * neg).sum(dim=-1) / imp.mean(dim=-1)  # (2B,)
    ng = (-tau * n * pos + reweight_neg) / (1 - tau)  # (2B, 1) with (2B,) -> (2B, 2B)
    ng = torch.clamp(ng, min=n * math.e ** (-1 / t))
    return (-torch.log(pos / (pos + ng))).mean()


def reference_cross_modal(a: torch.Tensor, b: torch.Tensor, t: float, beta: float, tau: float) -> torch.Tensor:
    size = a.shape[0]
    sim = torch.exp(F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / t)
    eye = torch.eye(size, dtype=torch.bool)
    pos = torch.cat([sim[eye].view(size, -1), sim[eye].view(size, -1)])
    neg = torch.cat([sim[~eye].view(size, -1), sim.T[~eye].view(size, -1)])
    return reference_broadcast(pos, neg, t, beta, tau, n=2 * size - 2)


def reference_simclr(a: torch.Tensor, b: torch.Tensor, t: float, beta: float, tau: float) -> torch.Tensor:
    size = a.shape[0]
    z = F.normalize(torch.cat([a, b]), dim=1)
    labels = torch.cat([torch.arange(size), torch.arange(size)])
    labels = labels[None, :] == labels[:, None]
    sim = torch.exp(z @ z.T / t)
    eye = torch.eye(2 * size, dtype=torch.bool)
    labels = labels[~eye].view(2 * size, -1)
    sim = sim[~eye].view(2 * size, -1)
    pos = sim[labels].view(2 * size, -1)
    neg = sim[~labels].view(2 * size, -1)
    return reference_broadcast(pos, neg, t, beta, tau, n=2 * size - 2)


@pytest.mark.parametrize(("t", "beta", "tau"), HNL_SETTINGS)
def test_cross_modal_hnl_matches_per_anchor_loop(t: float, beta: float, tau: float) -> None:
    a, b = pair(seed=1)
    got = cross_modal_hnl(a, b, temperature=t, beta=beta, tau_plus=tau)
    assert got.item() == pytest.approx(loop_cross_modal_hnl(a, b, t, beta, tau), rel=1e-10)


@pytest.mark.parametrize(("t", "beta", "tau"), HNL_SETTINGS)
def test_simclr_hnl_matches_per_anchor_loop(t: float, beta: float, tau: float) -> None:
    a, b = pair(seed=2)
    got = simclr_hnl(a, b, temperature=t, beta=beta, tau_plus=tau)
    assert got.item() == pytest.approx(loop_simclr_hnl(a, b, t, beta, tau), rel=1e-10)


def test_plain_losses_match_per_anchor_loops() -> None:
    a, b = pair(seed=3)
    assert cross_modal_infonce(a, b, temperature=0.1).item() == pytest.approx(loop_infonce(a, b, 0.1), rel=1e-10)
    assert nt_xent(a, b, temperature=0.5).item() == pytest.approx(loop_nt_xent(a, b, 0.5), rel=1e-10)


@pytest.mark.parametrize("t", [0.1, 0.5])
def test_hnl_without_weighting_or_debiasing_is_cross_entropy_infonce(t: float) -> None:
    a, b = pair(seed=4)
    logits = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / t
    target = torch.arange(a.shape[0])
    expected = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
    got = cross_modal_hnl(a, b, temperature=t, beta=0.0, tau_plus=0.0)
    assert got.item() == pytest.approx(expected.item(), rel=1e-12)
    assert cross_modal_infonce(a, b, temperature=t).item() == pytest.approx(expected.item(), rel=1e-12)


def test_simclr_hnl_without_weighting_or_debiasing_is_nt_xent() -> None:
    a, b = pair(seed=5)
    got = simclr_hnl(a, b, temperature=0.5, beta=0.0, tau_plus=0.0)
    assert got.item() == pytest.approx(nt_xent(a, b, temperature=0.5).item(), rel=1e-12)


@pytest.mark.parametrize("tau", [0.037, 0.1, 0.3])
def test_hnl_with_beta_zero_is_the_dcl_estimator(tau: float) -> None:
    a, b = pair(seed=6)
    t = 0.2
    size = a.shape[0]
    n = size - 1
    sim = torch.exp(F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / t)
    off = ~torch.eye(size, dtype=torch.bool)
    pos = torch.diagonal(sim).repeat(2)
    neg_sum = torch.cat([(sim * off).sum(1), (sim.T * off).sum(1)])
    ng = torch.clamp((neg_sum - tau * n * pos) / (1 - tau), min=n * math.exp(-1 / t))
    expected = (-torch.log(pos / (pos + ng))).mean()
    got = cross_modal_hnl(a, b, temperature=t, beta=0.0, tau_plus=tau)
    assert got.item() == pytest.approx(expected.item(), rel=1e-12)


@pytest.mark.parametrize("compat", [False, True])
def test_losses_are_symmetric_in_modalities_and_views(compat: bool) -> None:
    a, b = pair(seed=7)
    for fn in (cross_modal_hnl, simclr_hnl):
        ab = fn(a, b, temperature=0.1, beta=1.0, tau_plus=0.05, reference_compat=compat)
        ba = fn(b, a, temperature=0.1, beta=1.0, tau_plus=0.05, reference_compat=compat)
        assert ab.item() == pytest.approx(ba.item(), rel=1e-12)
    sa, sb = torch.randn(8, 8, dtype=torch.float64), torch.randn(8, 8, dtype=torch.float64)
    ab = cmkm(a, b, sim_imu=sa, sim_skel=sb, temperature=0.1, reference_compat=compat)
    ba = cmkm(b, a, sim_imu=sb, sim_skel=sa, temperature=0.1, reference_compat=compat)
    assert ab.item() == pytest.approx(ba.item(), rel=1e-12)
    assert cross_modal_infonce(a, b, temperature=0.1).item() == pytest.approx(
        cross_modal_infonce(b, a, temperature=0.1).item(), rel=1e-12
    )
    assert nt_xent(a, b, temperature=0.3).item() == pytest.approx(nt_xent(b, a, temperature=0.3).item(), rel=1e-12)


@pytest.mark.parametrize(("t", "beta", "tau"), HNL_SETTINGS)
def test_reference_compat_reproduces_the_published_broadcast(t: float, beta: float, tau: float) -> None:
    a, b = pair(seed=8)
    got = cross_modal_hnl(a, b, temperature=t, beta=beta, tau_plus=tau, reference_compat=True)
    assert got.item() == pytest.approx(reference_cross_modal(a, b, t, beta, tau).item(), rel=1e-10)
    got = simclr_hnl(a, b, temperature=t, beta=beta, tau_plus=tau, reference_compat=True)
    assert got.item() == pytest.approx(reference_simclr(a, b, t, beta, tau).item(), rel=1e-10)


def test_reference_compat_differs_from_the_row_wise_formula() -> None:
    a, b = pair(seed=9)
    row = cross_modal_hnl(a, b, temperature=0.1, beta=1.0, tau_plus=0.1)
    ref = cross_modal_hnl(a, b, temperature=0.1, beta=1.0, tau_plus=0.1, reference_compat=True)
    assert abs(row.item() - ref.item()) > 1e-3


def test_clamp_floor_sets_the_negative_mass_when_debiasing_overshoots() -> None:
    # Orthonormal pairs: s_ii = 1, s_ij = 0, so R = N while tau*N*e^(1/t) is far larger and the
    # debiased mass would be negative; the floor N*exp(-1/t) must take over.
    size, t, tau = 4, 0.1, 0.1
    n = size - 1
    z = torch.eye(size, dtype=torch.float64)
    assert n - tau * n * math.exp(1 / t) < 0
    expected = math.log1p(n * math.exp(-1 / t) / math.exp(1 / t))
    for beta in (0.0, 1.0):
        got = cross_modal_hnl(z, z.clone(), temperature=t, beta=beta, tau_plus=tau)
        assert got.item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(loop_cross_modal_hnl(z, z.clone(), t, 1.0, tau), rel=1e-12)
    # The reference uses N = 2B-2 in the floor too.
    ref = cross_modal_hnl(z, z.clone(), temperature=t, beta=1.0, tau_plus=tau, reference_compat=True)
    assert ref.item() == pytest.approx(math.log1p((2 * size - 2) * math.exp(-2 / t)), rel=1e-12)


def test_floor_is_inactive_without_debiasing_on_realistic_batches() -> None:
    a, b = pair(seed=10)
    t = 0.05
    assert cross_modal_hnl(a, b, temperature=t, beta=0.0, tau_plus=0.0).item() == pytest.approx(
        cross_modal_infonce(a, b, temperature=t).item(), rel=1e-12
    )


def extreme_batches() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(11)
    u = torch.randn(1, 32, generator=g)
    same = u.repeat(8, 1)
    mixed = torch.randn(8, 32, generator=g)
    return {
        "identical": (same, same.clone()),
        "opposite": (same, -same),
        "paired_identical": (mixed, mixed.clone()),
        "paired_opposite": (mixed, -mixed),
        "orthonormal": (torch.eye(8, 32), torch.eye(8, 32)),
    }


@pytest.mark.parametrize("case", list(extreme_batches()))
@pytest.mark.parametrize("compat", [False, True])
def test_gradients_stay_finite_at_extreme_similarities(case: str, compat: bool) -> None:
    a0, b0 = extreme_batches()[case]
    for beta, tau in ((1.0, 0.1), (2.0, 0.037), (0.0, 0.1), (0.0, 0.0)):
        for fn in (cross_modal_hnl, simclr_hnl):
            a, b = a0.clone().requires_grad_(), b0.clone().requires_grad_()
            loss = fn(a, b, temperature=0.05, beta=beta, tau_plus=tau, reference_compat=compat)
            loss.backward()
            assert torch.isfinite(loss), (fn.__name__, beta, tau)
            assert torch.isfinite(a.grad).all() and torch.isfinite(b.grad).all(), (fn.__name__, beta, tau)
    a, b = a0.clone().requires_grad_(), b0.clone().requires_grad_()
    loss = cmkm(a, b, sim_imu=feature_similarity(a0), sim_skel=feature_similarity(b0), temperature=0.05,
                reference_compat=compat)
    loss = loss + nt_xent(a, b, temperature=0.05) + cross_modal_infonce(a, b, temperature=0.05)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(a.grad).all() and torch.isfinite(b.grad).all()


def test_half_precision_inputs_are_computed_in_float32() -> None:
    a, b = pair(seed=12, dtype=torch.float32)
    full = cross_modal_hnl(a, b, temperature=0.1, beta=1.0, tau_plus=0.037)
    half = cross_modal_hnl(a.bfloat16(), b.bfloat16(), temperature=0.1, beta=1.0, tau_plus=0.037)
    assert half.dtype == torch.float32
    assert half.item() == pytest.approx(full.item(), rel=2e-2)


def loop_cmkm(a: torch.Tensor, b: torch.Tensor, sa: torch.Tensor, sb: torch.Tensor, t: float, lam: float,
              compat: bool) -> float:
    """CMKM written per anchor from the description in the notes (K = 1)."""
    size = a.shape[0]

    def neighbour(sim: torch.Tensor, i: int) -> int:
        if compat:  # the reference subtracts the identity and takes the top-1
            return int(torch.argmax(sim[i] - torch.eye(size, dtype=sim.dtype)[i]))
        return max((j for j in range(size) if j != i), key=lambda j: float(sim[i, j]))

    intra_t = 1.0 if compat else t
    losses = []
    for x, y, own_sim, other_sim in ((a, b, sa, sb), (b, a, sb, sa)):
        for i in range(size):
            j_cross = neighbour(other_sim, i)
            j_own = neighbour(own_sim, i)
            num = sum(math.exp(cos(x[i], y[j]) / t) for j in {i, j_cross})
            den = sum(math.exp(cos(x[i], y[j]) / t) for j in range(size) if j not in {i, j_cross})
            if lam > 0:
                num += math.exp(cos(x[i], x[j_own]) / intra_t)
                den += lam * sum(math.exp(cos(x[i], x[j]) / intra_t) for j in range(size) if j not in {i, j_own})
            losses.append(-math.log(num / (num + den)))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("compat", [False, True])
@pytest.mark.parametrize("lam", [1.0, 0.5, 0.0])
def test_cmkm_matches_per_anchor_loop(compat: bool, lam: float) -> None:
    a, b = pair(seed=13)
    g = torch.Generator().manual_seed(14)
    fa, fb = torch.randn(8, 5, 3, generator=g), torch.randn(8, 7, generator=g)
    sa, sb = feature_similarity(fa).double(), feature_similarity(fb).double()
    got = cmkm(a, b, sim_imu=sa, sim_skel=sb, temperature=0.1, intra_weight=lam, reference_compat=compat)
    assert got.item() == pytest.approx(loop_cmkm(a, b, sa, sb, 0.1, lam, compat), rel=1e-8)


def test_cmkm_reference_mining_can_pick_the_anchor_itself() -> None:
    # All other samples dissimilar: the reference's P - I leaves the diagonal (0) on top.
    a, b = pair(b=3, seed=15)
    sim = torch.full((3, 3), -0.5, dtype=torch.float64).fill_diagonal_(1.0)
    ours = cmkm(a, b, sim_imu=sim, sim_skel=sim, temperature=0.1)
    ref = cmkm(a, b, sim_imu=sim, sim_skel=sim, temperature=0.1, reference_compat=True)
    assert ours.item() == pytest.approx(loop_cmkm(a, b, sim, sim, 0.1, 1.0, False), rel=1e-10)
    assert ref.item() == pytest.approx(loop_cmkm(a, b, sim, sim, 0.1, 1.0, True), rel=1e-10)
    assert ours.item() != pytest.approx(ref.item(), rel=1e-3)


def test_feature_similarity_is_a_cosine_matrix() -> None:
    f = torch.randn(6, 4, 5)
    s = feature_similarity(f)
    flat = F.normalize(f.flatten(1), dim=1)
    torch.testing.assert_close(s, flat @ flat.T)
    torch.testing.assert_close(torch.diagonal(s), torch.ones(6))


def test_bad_inputs_raise_one_line_errors() -> None:
    a, b = pair()
    with pytest.raises(EdgeharError, match="equal shape"):
        cross_modal_hnl(a, b[:4], temperature=0.1, beta=1.0, tau_plus=0.1)
    with pytest.raises(EdgeharError, match="no negatives"):
        nt_xent(a[:1], b[:1], temperature=0.1)
    with pytest.raises(EdgeharError, match="tau_plus"):
        simclr_hnl(a, b, temperature=0.1, beta=1.0, tau_plus=1.0)
    with pytest.raises(EdgeharError, match="temperature"):
        cross_modal_infonce(a, b, temperature=0.0)
    with pytest.raises(EdgeharError, match="beta"):
        cross_modal_hnl(a, b, temperature=0.1, beta=-1.0, tau_plus=0.1)
    with pytest.raises(EdgeharError, match="similarity matrices"):
        cmkm(a, b, sim_imu=torch.eye(3), sim_skel=torch.eye(8), temperature=0.1)


def direct_cross_modal_hnl(a: torch.Tensor, b: torch.Tensor, t: float, beta: float, tau: float) -> torch.Tensor:
    """Row-wise HCL written with exponentials, for comparing gradients where it does not overflow."""
    size = a.shape[0]
    sim = torch.exp(F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / t)
    eye = torch.eye(size, dtype=torch.bool)
    pos = torch.cat([sim[eye], sim.T[eye]])
    neg = torch.cat([sim[~eye].view(size, -1), sim.T[~eye].view(size, -1)])
    w = neg**beta
    r = (w * neg).sum(1) / w.mean(1)
    n = size - 1
    ng = torch.clamp((r - tau * n * pos) / (1 - tau), min=n * math.exp(-1 / t))
    return (-torch.log(pos / (pos + ng))).mean()


@pytest.mark.parametrize(("t", "beta", "tau"), HNL_SETTINGS)
def test_cross_modal_hnl_gradients_match_the_direct_formula(t: float, beta: float, tau: float) -> None:
    a0, b0 = pair(seed=16)
    a1, b1 = a0.clone().requires_grad_(), b0.clone().requires_grad_()
    cross_modal_hnl(a1, b1, temperature=t, beta=beta, tau_plus=tau).backward()
    a2, b2 = a0.clone().requires_grad_(), b0.clone().requires_grad_()
    direct_cross_modal_hnl(a2, b2, t, beta, tau).backward()
    torch.testing.assert_close(a1.grad, a2.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(b1.grad, b2.grad, rtol=1e-9, atol=1e-12)
