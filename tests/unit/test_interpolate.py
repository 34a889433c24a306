"""latent_ops.interpolate against docs/SPEC.md, "Interpolation"."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import interpolate

METHODS = list(interpolate.METHODS)


def gaussian(seed: int, shape=(1, 4, 64, 64), dtype=torch.float32) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(dtype)


@pytest.mark.parametrize("method", METHODS)
def test_endpoints_are_exact(method):
    """interp(a, b, 0) == a and interp(a, b, 1) == b, bit for bit."""
    a, b = gaussian(1), gaussian(2)
    frames = interpolate.interpolate(a, b, torch.tensor([0.0, 1.0]), method)
    assert torch.equal(frames[0], a[0]) and torch.equal(frames[1], b[0])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    method=st.sampled_from(METHODS),
    dtype=st.sampled_from([torch.float32, torch.float64, torch.float16, torch.bfloat16]),
)
def test_endpoints_exact_and_dtype_kept_for_any_shape(seed, shape, method, dtype):
    a, b = gaussian(seed, (1, *shape), dtype), gaussian(seed + 1, (1, *shape), dtype)
    frames = interpolate.interpolate(a, b, torch.linspace(0, 1, 5), method)
    assert frames.dtype == dtype and frames.shape == (5, *shape)
    assert torch.equal(frames[0], a[0]) and torch.equal(frames[-1], b[0])
    assert bool(torch.isfinite(frames).all())


@pytest.mark.parametrize("method", ["slerp", "nlerp"])
def test_slerp_and_nlerp_keep_unit_variance(method):
    """Every frame's std stays within 1% of 1 for independent Gaussian endpoints."""
    a, b = gaussian(3), gaussian(4)
    frames = interpolate.interpolate(a, b, torch.linspace(0, 1, 11), method)
    std = frames.flatten(1).std(dim=1)
    assert torch.allclose(std, torch.ones_like(std), rtol=0.01), std


def test_nlerp_of_equal_endpoints_stays_still_at_unit_variance():
    """seed_a == seed_b: every frame is a (the old lerp / sqrt((1-t)^2 + t^2) gave std 1.418 mid-walk)."""
    a = gaussian(7)
    frames = interpolate.nlerp(a, a.clone(), torch.linspace(0, 1, 5))
    assert torch.allclose(frames, a.expand_as(frames), atol=1e-6)
    assert torch.allclose(frames.flatten(1).std(dim=1), a.flatten().std().expand(5), rtol=1e-5)


def test_nlerp_of_correlated_endpoints_keeps_the_interpolated_norm():
    """b = 0.8 a + 0.6 c: each frame's norm is (1 - t)|a| + t|b|, not inflated."""
    a, c = gaussian(8), gaussian(9)
    b = 0.8 * a + 0.6 * c
    t = torch.linspace(0, 1, 9)
    norms = interpolate.nlerp(a, b, t).flatten(1).norm(dim=1)
    expected = (1 - t) * a.norm() + t * b.norm()
    assert torch.allclose(norms, expected, rtol=1e-5)


def test_nlerp_of_opposite_endpoints_is_finite():
    """b = -a at t = 0.5: the straight line passes through 0; that frame is 0, not NaN."""
    a = gaussian(10)
    frames = interpolate.nlerp(a, -a, torch.tensor([0.25, 0.5]))
    assert bool(torch.isfinite(frames).all())
    assert torch.equal(frames[1], torch.zeros_like(frames[1]))
    assert frames[0].norm().item() == pytest.approx(a.norm().item(), rel=1e-5)


def test_lerp_variance_follows_its_curve():
    """lerp's variance is (1 - t)^2 + t^2: 0.5 in the middle (the blur in "Exploring the latent space")."""
    a, b = gaussian(5), gaussian(6)
    t = torch.linspace(0, 1, 11)
    var = interpolate.lerp(a, b, t).flatten(1).var(dim=1)
    expected = (1 - t) ** 2 + t**2
    assert torch.allclose(var, expected, rtol=0.03), (var, expected)
    assert var[5].item() == pytest.approx(0.5, rel=0.03)


def test_slerp_of_orthogonal_unit_vectors_follows_the_circle():
    """slerp(x, y, t) = cos(t pi/2) x + sin(t pi/2) y for orthonormal x, y."""
    x = torch.tensor([[1.0, 0.0, 0.0]])
    y = torch.tensor([[0.0, 1.0, 0.0]])
    t = torch.tensor([0.25, 0.5])
    out = interpolate.slerp(x, y, t)
    expected = torch.tensor([[math.cos(math.pi / 8), math.sin(math.pi / 8), 0.0],
                             [math.sqrt(0.5), math.sqrt(0.5), 0.0]])
    assert torch.allclose(out, expected, atol=1e-6)


def test_near_parallel_endpoints_fall_back_to_lerp_going_forward():
    """|cos theta| > 0.9995 gives lerp with weights (1 - t, t), never swapped (A1111's bug)."""
    a = gaussian(7)
    b = a * 1.5 + 0.01 * gaussian(8)
    cos = torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0).item()
    assert cos > interpolate.SLERP_PARALLEL_THRESHOLD
    t = torch.tensor([0.25])
    assert torch.equal(interpolate.slerp(a, b, t), interpolate.lerp(a, b, t))
    out = interpolate.slerp(a, b, t)
    assert (out - a).norm() < (out - b).norm()


def test_just_below_the_threshold_uses_the_great_circle():
    """cos theta = 0.999 is below 0.9995: slerp, not lerp (the norm of unit vectors is kept)."""
    theta = math.acos(0.999)
    a = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    b = torch.tensor([[math.cos(theta), math.sin(theta)]], dtype=torch.float64)
    out = interpolate.slerp(a, b, torch.tensor([0.5]))
    assert out.norm().item() == pytest.approx(1.0, abs=1e-12)
    assert interpolate.lerp(a, b, torch.tensor([0.5])).norm().item() < 1.0 - 1e-5


@pytest.mark.parametrize("b_sign", [1.0, -1.0])
def test_equal_and_opposite_endpoints_give_finite_frames(b_sign):
    """Parallel or opposite endpoints: finite and deterministic, never NaN (ComfyUI_Noise's bug)."""
    a = gaussian(9)
    t = torch.linspace(0, 1, 7)
    first = interpolate.slerp(a, b_sign * a, t)
    assert bool(torch.isfinite(first).all())
    assert torch.equal(first, interpolate.slerp(a, b_sign * a, t))


def test_zero_endpoint_gives_finite_frames():
    a = torch.zeros(1, 4, 8, 8)
    b = gaussian(10, (1, 4, 8, 8))
    for method in METHODS:
        frames = interpolate.interpolate(a, b, torch.linspace(0, 1, 5), method)
        assert bool(torch.isfinite(frames).all()), method
        assert torch.equal(frames[-1], b[0])


def test_frames_are_batched_over_t():
    """Frame k is interp(a, b, t_k): the batched call equals one call per frame."""
    a, b = gaussian(11, (1, 4, 8, 8)), gaussian(12, (1, 4, 8, 8))
    t = torch.tensor([0.1, 0.6, 0.9])
    batched = interpolate.slerp(a, b, t)
    for k in range(3):
        assert torch.allclose(batched[k], interpolate.slerp(a, b, t[k : k + 1])[0], atol=0, rtol=0)


def test_unknown_method_names_the_choices():
    with pytest.raises(ValueError, match=r"method must be one of slerp, nlerp, lerp, got 'cubic'"):
        interpolate.interpolate(gaussian(1), gaussian(2), torch.zeros(1), "cubic")


def test_mismatched_frame_shapes_are_refused():
    with pytest.raises(ValueError, match=r"same frame shape"):
        interpolate.slerp(torch.zeros(1, 4, 8, 8), torch.zeros(1, 4, 8, 16), torch.zeros(1))
