"""latent_ops.retime: time warps, even re-timing from distances, pacing from speeds."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import metrics, retime


def test_even_warp_known_answer():
    """Coarse frames at t = 0, .5, 1 with distances 1 and 3: s = 0, 1, 4, so the knots are
    (u, t) = (0, 0), (1/4, 1/2), (1, 1); read linearly, 5 even frames land where s = 0, 1, 2, 3, 4,
    i.e. t = 0, 1/2, 2/3, 5/6, 1. The cubic reading passes through the same knots, monotone."""
    warp = retime.even_warp(torch.tensor([1.0, 3.0]))
    assert warp.u.tolist() == [0, 0.25, 1] and warp.t.tolist() == [0, 0.5, 1] and warp.cubic
    linear = retime.TimeWarp(warp.u, warp.t, cubic=False)
    assert torch.allclose(linear.frame_times(5), torch.tensor([0, 1 / 2, 2 / 3, 5 / 6, 1], dtype=torch.float64))
    cubic = warp.frame_times(5)
    assert cubic[1] == 0.5 and bool((cubic.diff() > 0).all())


def jump(t: torch.Tensor) -> torch.Tensor:
    """Arc length of a walk that stands still, jumps in the middle, and stands still again."""
    return torch.sigmoid(10 * (t - 0.5))


def cube(t: torch.Tensor) -> torch.Tensor:
    """Arc length of a walk that starts still and speeds up (speed 3 t^2)."""
    return t**3


def path(t: torch.Tensor, arc=jump) -> torch.Tensor:
    """A synthetic uneven walk along a bent curve in 3D, moving by `arc`."""
    s = arc(t)
    return torch.stack([torch.cos(2 * s), torch.sin(2 * s), s], dim=1)


@pytest.mark.parametrize(("arc", "coarse"), [(jump, 13), (cube, 17)], ids=["jump", "speed-up"])
def test_retiming_an_uneven_path_makes_its_steps_even_within_5_percent(arc, coarse):
    """From a coarse render of 13 (17) frames, 25 re-timed frames have steps within 5% of their mean
    (the linear timing's steps vary with a CV above 0.8)."""
    before = metrics.step_distances(path(torch.linspace(0, 1, 25, dtype=torch.float64), arc))
    assert metrics.coefficient_of_variation(before) > 0.8
    warp = retime.even_warp(metrics.step_distances(path(torch.linspace(0, 1, coarse, dtype=torch.float64), arc)))
    after = metrics.step_distances(path(warp.frame_times(25), arc))
    assert (after / after.mean() - 1).abs().max() < 0.05


def test_a_coarse_render_made_with_a_warp_needs_that_warp():
    """A coarse render at eased times tau_k = (k / 16)^2: given those times the re-timing is even;
    taking them for linear times it is not."""
    tau = torch.linspace(0, 1, 17, dtype=torch.float64) ** 2
    d = metrics.step_distances(path(tau))
    right = metrics.step_distances(path(retime.even_warp(d, tau).frame_times(25)))
    wrong = metrics.step_distances(path(retime.even_warp(d).frame_times(25)))
    assert (right / right.mean() - 1).abs().max() < 0.05
    assert metrics.coefficient_of_variation(wrong) > 0.2


def test_strength_blends_with_linear_timing():
    warp = retime.even_warp(torch.tensor([1.0, 3.0]))
    linear = torch.linspace(0, 1, 5, dtype=torch.float64)
    assert torch.allclose(warp.blend(0.0).frame_times(5), linear)
    half = warp.blend(0.5)
    assert half.t.tolist() == [0, 0.375, 1] and half.u.tolist() == warp.u.tolist()
    with pytest.raises(ValueError, match="strength must be in 0..1"):
        warp.blend(1.5)


def test_a_still_coarse_render_keeps_linear_timing_and_zero_steps_give_finite_times():
    assert torch.equal(retime.even_warp(torch.zeros(4)).frame_times(5), torch.linspace(0, 1, 5, dtype=torch.float64))
    times = retime.even_warp(torch.tensor([0.0, 2.0, 0.0, 0.0, 1.0])).frame_times(7)
    assert torch.isfinite(times).all() and times[0] == 0 and times[-1] == 1 and (times.diff() >= 0).all()


@settings(max_examples=60, deadline=None)
@given(d=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=20), n=st.integers(2, 50))
def test_any_warp_is_monotone_from_0_to_1(d, n):
    times = retime.even_warp(torch.tensor(d, dtype=torch.float64)).frame_times(n)
    assert times[0] == 0.0 and times[-1] == 1.0
    assert bool((times.diff() >= 0).all()) and bool(torch.isfinite(times).all())


@settings(max_examples=40, deadline=None)
@given(v=st.lists(st.floats(0.01, 100), min_size=2, max_size=30))
def test_paced_warp_steps_are_proportional_to_speed(v):
    """Step k of the walk sampled at the same N is v_k / sum(v_1..v_{N-1})."""
    speed = torch.tensor(v, dtype=torch.float64)
    steps = retime.paced_warp(speed).frame_times(len(v)).diff()
    assert torch.allclose(steps, speed[1:] / speed[1:].sum(), atol=1e-12)


def test_windows_are_the_same_frames_as_the_whole_walk():
    warp = retime.even_warp(torch.tensor([1.0, 5.0, 2.0]))
    assert torch.equal(warp.frame_times(10, 3, 4), warp.frame_times(10)[3:7])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="frames must be >= 2 for an open walk, got 1"):
        retime.identity().frame_times(1)
    with pytest.raises(ValueError, match="finite and >= 0"):
        retime.even_warp(torch.tensor([1.0, math.nan]))
    with pytest.raises(ValueError, match="run from \\(0, 0\\) to \\(1, 1\\)"):
        retime.TimeWarp(torch.tensor([0.0, 0.5], dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64))
