"""latent_ops.metrics against docs/SPEC.md, "Walk quality figures", with known answers."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import interpolate, metrics, schedule


def gaussian(seed: int, shape=(1, 4, 16, 16)) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def test_step_distances_and_std_of_a_known_walk():
    """Frames 0, 1, 3 (constant vectors of 4 values): RMS steps 1 and 2; std 0 (constant frames)."""
    x = torch.tensor([0.0, 1.0, 3.0]).reshape(3, 1, 1).expand(3, 2, 2)
    assert metrics.step_distances(x).tolist() == [1.0, 2.0]
    assert metrics.step_distances(x, closed=True).tolist() == [1.0, 2.0, 3.0]
    assert metrics.frame_std(x).tolist() == [0.0, 0.0, 0.0]
    assert metrics.coefficient_of_variation(torch.tensor([1.0, 2.0])) == pytest.approx(1 / 3)
    assert metrics.frame_std(torch.tensor([[1.0, -1.0, 1.0, -1.0]])).tolist() == [1.0]


def test_slerp_of_equal_norm_endpoints_has_cv_zero_and_lerp_does_not():
    """Linear slerp between equal-norm endpoints: equal chords, CV ~ 0; nlerp's steps are not equal
    (it speeds up in the middle), and the figure tells them apart."""
    a = gaussian(1)
    b = gaussian(2)
    b = b * a.norm() / b.norm()
    t = schedule.frame_times(24)
    slerp = interpolate.slerp(a, b, t)
    nlerp = interpolate.nlerp(a, b, t)
    assert metrics.coefficient_of_variation(metrics.step_distances(slerp)) < 1e-5
    assert metrics.coefficient_of_variation(metrics.step_distances(nlerp)) > 0.05
    std = metrics.frame_std(slerp)
    assert (std / std[0] - 1).abs().max() < 0.01


def test_lerp_loses_variance_in_the_middle():
    """std of lerp's middle frame of independent Gaussians is sqrt(0.5) of the ends' (within 3%)."""
    walk = interpolate.lerp(gaussian(3), gaussian(4), schedule.frame_times(9))
    std = metrics.frame_std(walk)
    assert float(std[4] / std[0]) == pytest.approx(math.sqrt(0.5), rel=0.03)


def test_loop_closure_of_a_circular_loop_is_one_and_of_an_open_walk_is_large():
    """cos/sin loop with t_k = k / N: the seam step equals every other step (ratio 1)."""
    x, y = gaussian(5), gaussian(6)
    phi = 2 * math.pi * torch.arange(12, dtype=torch.float64) / 12
    loop = (torch.cos(phi).reshape(-1, 1, 1, 1) * x + torch.sin(phi).reshape(-1, 1, 1, 1) * y).float()
    seam, ratio = metrics.loop_closure(loop)
    assert ratio == pytest.approx(1.0, abs=0.02) and seam > 0
    _, open_ratio = metrics.loop_closure(interpolate.slerp(x, y, schedule.frame_times(12)))
    assert open_ratio > 5


def test_walk_metrics_of_a_still_walk_are_zero_not_nan():
    figures = metrics.walk_metrics(torch.ones(3, 2, 2))
    assert figures["step_cv"] == 0.0 and figures["loop_seam_ratio"] == 0.0 and figures["step_max"] == 0.0


def test_a_single_frame_has_no_step():
    with pytest.raises(ValueError, match="at least 2 frames"):
        metrics.step_distances(torch.zeros(1, 4))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(3, 12), dim=st.integers(3, 40))
def test_pca_keeps_distances_of_planar_frames(seed, n, dim):
    """Frames in a 2D affine plane project with every pairwise distance kept (rotation + shift)."""
    g = torch.Generator().manual_seed(seed)
    basis, _ = torch.linalg.qr(torch.randn(dim, 2, generator=g, dtype=torch.float64))
    coords = torch.randn(n, 2, generator=g, dtype=torch.float64) * 3
    frames = coords @ basis.T + torch.randn(1, dim, generator=g, dtype=torch.float64)
    (proj,) = metrics.pca_2d([frames])
    assert torch.allclose(torch.cdist(proj, proj), torch.cdist(frames, frames), atol=1e-8)
    assert (proj[0] <= 0).all()


def test_pca_of_slerp_is_an_arc_and_of_lerp_a_line():
    """In the common plane, slerp's path stays on a circle, lerp's on a chord (collinear)."""
    a, b = gaussian(7), gaussian(8)
    b = b * a.norm() / b.norm()
    t = schedule.frame_times(9)
    lerp_path, slerp_path = metrics.pca_2d([interpolate.lerp(a, b, t), interpolate.slerp(a, b, t)])
    d = lerp_path[1:] - lerp_path[:1]
    cross = d[:, 0] * d[-1, 1] - d[:, 1] * d[-1, 0]
    assert cross.abs().max() < 1e-6 * float(d.norm(dim=1).max()) ** 2
    # slerp's middle frame lies off lerp's chord, by |a| (1 - cos(theta / 2)) in latent space
    mid_gap = float((slerp_path[4] - lerp_path[4]).norm())
    cos = float((a.flatten() @ b.flatten()) / (a.norm() * b.norm()))
    expected = float(a.norm()) * (1 - math.cos(math.acos(cos) / 2))
    assert mid_gap == pytest.approx(expected, rel=0.02)


def test_pca_refuses_walks_of_different_shapes():
    with pytest.raises(ValueError, match="same frame shape"):
        metrics.pca_2d([torch.zeros(3, 4), torch.zeros(3, 5)])


def test_clip_scores_are_001s_clipscore():
    """max(100 cos, 0): parallel 100, at 60 degrees 50, orthogonal or opposite 0, scale-free."""
    text = torch.tensor([1.0, 0.0])
    images = torch.tensor([[3.0, 0.0], [0.5, 0.5 * math.sqrt(3)], [0.0, 2.0], [-1.0, 0.0], [0.0, 0.0]])
    assert metrics.clip_scores(text[None], images).tolist() == pytest.approx([100.0, 50.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="image embeddings are 3 wide and the text embedding 2"):
        metrics.clip_scores(text, torch.ones(2, 3))
