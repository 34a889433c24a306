"""latent_ops.windows: pans and wipes across a strip of latents (docs/SPEC.md, "Latent translation windows")."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import schedule, windows


def latents(k: int, c: int = 4, h: int = 6, w: int = 8, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    return torch.randn((k, c, h, w), generator=torch.Generator().manual_seed(seed)).to(dtype)


def is_slice_of(frame: torch.Tensor, strip: torch.Tensor, dim: int) -> int | None:
    """The offset o with frame == strip[..., o : o + S] along dim, or None."""
    size = frame.shape[dim]
    for o in range(strip.shape[dim] - size + 1):
        if torch.equal(frame, strip.narrow(dim, o, size)):
            return o
    return None


# --- frame counts ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(k=st.integers(2, 5), w=st.integers(1, 12), divisor=st.integers(1, 12))
def test_open_pan_has_k_minus_1_w_over_stride_plus_1_frames(k, w, divisor):
    """N = (K - 1) W / stride + 1 whenever stride divides the travel (K - 1) W."""
    travel = (k - 1) * w
    if travel % divisor:
        divisor = 1
    stride = travel // divisor
    z = latents(k, 2, 3, w)
    frames = windows.translate(z, stride=stride)
    assert frames.shape == (travel // stride + 1, 2, 3, w)
    assert windows.pan_length(k, w, stride) == travel // stride + 1


def test_001_operator_t_has_65_frames_for_two_64_wide_latents():
    assert windows.pan_length(2, 64, 1) == 65
    assert windows.pan_length(2, 64, 0.5) == 129
    assert windows.pan_length(2, 64, 3) == 23  # ceil(64 / 3) + 1: the last step is shorter
    assert windows.pan_length(3, 64, 1, loop=True) == 192  # K W / stride, no repeated frame
    assert windows.pan_length(2, 64, 1, ping_pong=True) == 128  # 0..64 then 63..1


# --- endpoints and slices ----------------------------------------------------------------------


@pytest.mark.parametrize("subpixel", windows.SUBPIXEL)
@pytest.mark.parametrize("easing", list(schedule.EASINGS))
@pytest.mark.parametrize("motion", windows.MOTIONS)
def test_first_frame_is_z0_and_last_is_the_last_latent(subpixel, easing, motion):
    z = latents(3, w=8)
    frames = windows.translate(z, stride=0.75, motion=motion, easing=easing, subpixel=subpixel)
    assert torch.equal(frames[0], z[0]) and torch.equal(frames[-1], z[-1])


@settings(max_examples=40, deadline=None)
@given(k=st.integers(2, 4), w=st.integers(2, 9), stride=st.integers(1, 5),
       easing=st.sampled_from(list(schedule.EASINGS)), axis=st.sampled_from(list(windows.AXES)))
def test_every_round_frame_is_a_contiguous_slice_of_the_strip(k, w, stride, easing, axis):
    """Frame k == strip[..., o_k : o_k + W] with o_k = round(L e(k / (N - 1))), non-decreasing."""
    z = latents(k, 2, w, w + 1)
    dim = windows.AXES[axis]
    strip = windows.make_strip(z, axis)
    frames = windows.translate(z, stride=stride, axis=axis, easing=easing)
    expected = torch.round(windows.pan_offsets(k, z.shape[dim], stride, easing=easing)).long()
    for frame, o in zip(frames, expected.tolist(), strict=True):
        assert torch.equal(frame, strip.narrow(dim, o, z.shape[dim]))
    assert bool((expected[1:] >= expected[:-1]).all())


def test_linear_pan_moves_stride_columns_per_frame_exactly():
    z = latents(2, w=8)
    strip = windows.make_strip(z)
    frames = windows.translate(z, stride=2)
    assert [is_slice_of(f, strip, -1) for f in frames] == [0, 2, 4, 6, 8]


def test_height_axis_stacks_and_pans_downwards():
    z = latents(2, h=4, w=6)
    frames = windows.translate(z, stride=1, axis="height")
    assert frames.shape == (5, 4, 4, 6)
    assert torch.equal(frames[1][:, :3], z[0][:, 1:]) and torch.equal(frames[1][:, 3], z[1][:, 0])


def test_pan_is_rank_and_channel_agnostic():
    """16-channel image latents and 5-D video latents (B x C x T x H x W) pan along their last axes."""
    video = torch.randn(2, 16, 3, 4, 5, generator=torch.Generator().manual_seed(1))
    frames = windows.translate(video, stride=1)
    assert frames.shape == (6, 16, 3, 4, 5)
    assert torch.equal(frames[2][..., :3], video[0][..., 2:]) and torch.equal(frames[2][..., 3:], video[1][..., :2])


# --- wipe --------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", list(windows.AXES))
def test_wipe_frames_take_their_last_t_columns_from_the_next_latent_in_place(axis):
    """Wipe frame t: [0, W - t) of z_0 and [W - t, W) of z_1, at the same positions (no shift)."""
    z = latents(2, h=8, w=8)
    dim = windows.AXES[axis]
    frames = windows.translate(z, stride=1, axis=axis, motion="wipe")
    assert frames.shape[0] == 9
    for t, frame in enumerate(frames):
        assert torch.equal(frame.narrow(dim, 0, 8 - t), z[0].narrow(dim, 0, 8 - t))
        assert torch.equal(frame.narrow(dim, 8 - t, t), z[1].narrow(dim, 8 - t, t))


def test_wipe_across_three_latents_goes_through_the_middle_one():
    z = latents(3, w=4)
    frames = windows.translate(z, stride=1, motion="wipe")
    assert frames.shape[0] == 9 and torch.equal(frames[4], z[1])
    assert torch.equal(frames[5][..., :3], z[1][..., :3]) and torch.equal(frames[5][..., 3], z[2][..., 3])


def test_a_fractional_wipe_blends_only_its_boundary_column():
    z = latents(2, w=4)
    frame = windows.translate(z, stride=0.5, motion="wipe", subpixel="lerp")[3]  # t = 1.5
    assert torch.equal(frame[..., :2], z[0][..., :2]) and torch.equal(frame[..., 3], z[1][..., 3])
    torch.testing.assert_close(frame[..., 2], 0.5 * z[0][..., 2] + 0.5 * z[1][..., 2])


# --- loops and ping-pong -----------------------------------------------------------------------


@pytest.mark.parametrize("motion", windows.MOTIONS)
def test_a_looping_strip_closes(motion):
    """Loop: frame N would be frame 0 again, so the seam step equals every other step."""
    z = latents(3, w=4)
    frames = windows.translate(z, stride=1, loop=True, motion=motion)
    assert frames.shape[0] == 12
    assert windows.pan_offsets(3, 4, 1, loop=True)[-1] == 11  # the next offset, 12, is 0 mod 12
    if motion == "pan":
        strip = windows.make_strip(z)
        wrapped = torch.cat([strip, strip], dim=-1)
        for k in range(12):
            assert torch.equal(frames[k], wrapped[..., k : k + 4])
        # the step from the last frame to the first is a one-column shift, like all others
        assert torch.equal(frames[-1][..., 1:], frames[0][..., :3])
        assert torch.equal(frames[-1][..., 0], z[2][..., 3])
    else:
        # the wipe from the last latent back to the first ends, one step later, on frame 0 = z_0
        assert torch.equal(frames[-1][..., :1], z[2][..., :1]) and torch.equal(frames[-1][..., 1:], z[0][..., 1:])
    assert not any(torch.equal(frames[k], frames[k + 1]) for k in range(11))


def test_a_single_latent_loops_onto_itself():
    z = latents(1, w=4)
    frames = windows.translate(z, stride=1, loop=True)
    assert torch.equal(frames[1], torch.roll(z[0], -1, dims=-1))


def test_ping_pong_plays_forward_then_back_without_repeating_the_ends():
    z = latents(2, w=4)
    forward = windows.translate(z, stride=1)
    both = windows.translate(z, stride=1, ping_pong=True)
    assert both.shape[0] == 8
    assert torch.equal(both, torch.cat([forward, forward[1:4].flip(0)]))


@settings(max_examples=30, deadline=None)
@given(start=st.integers(0, 16), count=st.integers(0, 6), loop=st.booleans(),
       motion=st.sampled_from(windows.MOTIONS), subpixel=st.sampled_from(windows.SUBPIXEL))
def test_a_window_equals_the_same_frames_of_the_whole_pan(start, count, loop, motion, subpixel):
    z = latents(3, w=4)
    kw = {"stride": 0.75, "loop": loop, "motion": motion, "subpixel": subpixel, "easing": "smoothstep"}
    whole = windows.translate(z, **kw)
    start = min(start, whole.shape[0] - 1)
    count = min(count, whole.shape[0] - start)
    part = windows.translate(z, start_frame=start, frame_count=count, **kw)
    stop = whole.shape[0] if count == 0 else start + count
    assert torch.equal(part, whole[start:stop])


# --- fractional offsets and noise statistics ----------------------------------------------------


def half_pixel_frame(subpixel: str) -> torch.Tensor:
    """Frame 1 of a stride-0.5 pan over two 256 x 256 unit Gaussian noises: offset 0.5."""
    z = latents(2, 4, 256, 256, seed=7)
    return windows.translate(z, stride=0.5, subpixel=subpixel, frame_count=2)[1]


def lag1_correlation(x: torch.Tensor, dim: int) -> float:
    a, b = x.narrow(dim, 0, x.shape[dim] - 1), x.narrow(dim, 1, x.shape[dim] - 1)
    return float(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1])


def test_lerp_halfway_between_columns_halves_the_noise_variance():
    """Var((x_n + x_{n+1}) / 2) = 0.5 for i.i.d. unit noise: the in-between frames blur."""
    assert half_pixel_frame("lerp").var().item() == pytest.approx(0.5, rel=0.02)


def test_nlerp_keeps_unit_variance_but_correlates_neighbours_along_the_axis():
    """nlerp: variance 1, lag-1 correlation f (1 - f) / ((1 - f)^2 + f^2) = 0.5 along the pan, 0 across."""
    frame = half_pixel_frame("nlerp")
    assert frame.var().item() == pytest.approx(1.0, rel=0.02)
    assert lag1_correlation(frame, -1) == pytest.approx(0.5, abs=0.02)
    assert abs(lag1_correlation(frame, -2)) < 0.02


def test_round_keeps_white_noise_white():
    frame = half_pixel_frame("round")
    assert frame.var().item() == pytest.approx(1.0, rel=0.02)
    assert abs(lag1_correlation(frame, -1)) < 0.02


def test_fractional_offsets_blend_neighbouring_columns():
    z = latents(2, w=4)
    strip = windows.make_strip(z)
    frame = windows.translate(z, stride=0.25, subpixel="lerp")[3]  # offset 0.75
    torch.testing.assert_close(frame, 0.25 * strip[..., 0:4] + 0.75 * strip[..., 1:5])


# --- dtype, purity, errors ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_dtype_is_kept_and_input_untouched(dtype):
    z = latents(2, w=4, dtype=dtype)
    before = z.clone()
    for motion in windows.MOTIONS:
        frames = windows.translate(z, stride=0.5, subpixel="nlerp", motion=motion)
        assert frames.dtype == dtype and bool(torch.isfinite(frames).all())
    assert torch.equal(z, before)


def test_mismatched_latents_are_refused_not_resized():
    with pytest.raises(ValueError, match=r"latents_2 has latents of shape \(4, 6, 9\) but latents has \(4, 6, 8\).*"
                       "never resized"):
        windows.stack_latents([latents(1), latents(1, w=9)], ["latents", "latents_2"])
    with pytest.raises(ValueError, match=r"shape \(16, 6, 8\) but latents has \(4, 6, 8\)"):
        windows.stack_latents([latents(1), latents(1, c=16)], ["latents", "latents_2"])
    assert windows.stack_latents([latents(2), latents(1, seed=3)]).shape == (3, 4, 6, 8)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stride": 0}, r"stride must be > 0 latent pixels per frame, got 0"),
    ({"stride": math.nan}, r"stride must be > 0"),
    ({"loop": True, "ping_pong": True}, r"ping_pong needs an open pan: turn loop off"),
    ({"motion": "zoom"}, r"motion must be one of pan, wipe, got 'zoom'"),
    ({"axis": "depth"}, r"axis must be one of width, height, got 'depth'"),
    ({"subpixel": "cubic"}, r"subpixel must be one of round, lerp, nlerp, got 'cubic'"),
    ({"start_frame": 9}, r"start_frame must be in 0..8 for a walk of 9 frames, got 9"),
])
def test_bad_parameters_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        windows.translate(latents(2), **kwargs)


def test_an_open_pan_needs_two_latents():
    with pytest.raises(ValueError, match=r"an open pan needs at least 2 latents to travel across, got 1"):
        windows.translate(latents(1))
