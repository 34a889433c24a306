"""latent_ops.schedule against shared/SPEC.md, "Frame times and easing"."""

import math

import pytest
import torch

from latent_ops import schedule


def test_open_frame_times_hit_both_endpoints():
    """Open walk: t_k = k / (N - 1)."""
    assert schedule.frame_times(5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_closed_frame_times_stop_one_step_short():
    """Closed walk: t_k = k / N, so the seam has no repeated frame."""
    assert schedule.frame_times(4, closed=True).tolist() == [0.0, 0.25, 0.5, 0.75]


def test_single_frame_is_at_zero():
    assert schedule.frame_times(1).tolist() == [0.0]


@pytest.mark.parametrize("easing", list(schedule.EASINGS))
def test_easing_fixes_endpoints_and_is_monotone(easing):
    """e(0) = 0 and e(1) = 1 exactly; e is non-decreasing on [0, 1]."""
    t = torch.linspace(0, 1, 101, dtype=torch.float64)
    e = schedule.ease(t, easing)
    assert e[0].item() == 0.0 and e[-1].item() == 1.0
    assert bool((e[1:] >= e[:-1]).all())


@pytest.mark.parametrize(
    ("easing", "expected"),
    [("linear", 0.3), ("smoothstep", 3 * 0.09 - 2 * 0.027), ("cosine", (1 - math.cos(math.pi * 0.3)) / 2),
     ("ease_in", 0.09), ("ease_out", 1 - 0.49)],
)
def test_easing_formulas(easing, expected):
    value = schedule.ease(torch.tensor([0.3], dtype=torch.float64), easing).item()
    assert value == pytest.approx(expected, abs=1e-12)


def test_unknown_easing_names_the_choices():
    with pytest.raises(ValueError, match=r"easing must be one of linear, smoothstep.*got 'bounce'"):
        schedule.ease(torch.zeros(1), "bounce")


def test_window_defaults_to_the_rest_of_the_walk():
    assert schedule.window(10, 3, 0) == range(3, 10)
    assert schedule.window(10, 0, 4) == range(0, 4)


@pytest.mark.parametrize(
    ("start", "count", "message"),
    [(10, 0, r"start_frame must be in 0..9"), (-1, 0, r"start_frame must be in 0..9"),
     (8, 3, r"past the end of the walk \(10 frames\): lower frame_count to at most 2"),
     (0, -2, r"frame_count must be >= 0")],
)
def test_window_refuses_frames_outside_the_walk(start, count, message):
    with pytest.raises(ValueError, match=message):
        schedule.window(10, start, count)


def test_frame_times_refuse_zero_frames():
    with pytest.raises(ValueError, match="frames must be >= 1, got 0"):
        schedule.frame_times(0)
