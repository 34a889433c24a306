"""latent_ops.schedule against docs/SPEC.md, "Frame times and easing"."""

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


def test_open_chain_times_end_on_the_last_keyframe():
    """K = 3, F = 2: frames (segment, t) = (0, 0) (0, .5) (1, 0) (1, .5) (1, 1)."""
    segment, t = schedule.chain_times(3, 2, False, range(0, 5))
    assert segment.tolist() == [0, 0, 1, 1, 1] and t.tolist() == [0.0, 0.5, 0.0, 0.5, 1.0]


def test_closed_chain_times_wrap_to_the_first_keyframe_without_repeating_it():
    segment, t = schedule.chain_times(3, 2, True, range(0, 6))
    assert segment.tolist() == [0, 0, 1, 1, 2, 2] and t.tolist() == [0.0, 0.5] * 3
    segment, t = schedule.chain_times(3, 2, True, range(3, 5))
    assert segment.tolist() == [1, 2] and t.tolist() == [0.5, 0.0]


def test_two_keyframe_chain_times_are_the_open_walk_times():
    """A walk of N frames is the open chain of 2 keyframes with F = N - 1."""
    _, t = schedule.chain_times(2, 6, False, range(7))
    assert torch.equal(t, schedule.frame_times(7))


def test_chain_times_refuse_frames_outside_the_chain():
    with pytest.raises(ValueError, match=r"frames 3..5 are outside the chain's 5 frames"):
        schedule.chain_times(3, 2, False, range(3, 6))


@pytest.mark.parametrize(("n", "order"), [
    (1, [0]), (2, [0, 1]), (3, [0, 1, 2, 1]), (5, [0, 1, 2, 3, 4, 3, 2, 1]),
])
def test_ping_pong_order_goes_back_without_the_ends(n, order):
    assert schedule.ping_pong_order(n) == order


def test_ping_pong_reorders_any_batch_and_keeps_dtype():
    frames = torch.arange(4 * 2 * 3, dtype=torch.float16).reshape(4, 2, 3)
    out = schedule.ping_pong(frames)
    assert out.dtype == torch.float16 and out.shape == (6, 2, 3)
    assert [int(f[0, 0]) // 6 for f in out] == [0, 1, 2, 3, 2, 1]
    looped = torch.cat([out, out])
    assert not any(torch.equal(looped[i], looped[i + 1]) for i in range(len(looped) - 1))
    with pytest.raises(ValueError, match="a ping-pong needs at least 1 frame, got 0"):
        schedule.ping_pong(frames[:0])
