"""latent_ops.noise: seed noise and the seed walk (docs/SPEC.md, "Noise of a seed")."""

import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from latent_ops import interpolate, noise, schedule


def test_seed_noise_is_the_manual_seed_stream():
    """seed_noise(s) == torch.randn after torch.manual_seed(s), what ComfyUI draws."""
    expected = torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(1337))
    assert torch.equal(noise.seed_noise(1337, (1, 4, 8, 8)), expected)
    assert noise.seed_noise(1337, (1, 4, 8, 8)).dtype == torch.float32


def test_seed_noise_accepts_the_whole_seed_range():
    assert noise.seed_noise(noise.SEED_MAX, (2, 3)).shape == (2, 3)
    with pytest.raises(ValueError, match=r"seed must be in 0..18446744073709551615, got -1"):
        noise.seed_noise(-1, (2, 3))


@pytest.mark.parametrize("method", list(interpolate.METHODS))
def test_seed_walk_starts_and_ends_on_the_seeds(method):
    walk = noise.seed_walk(3, 4, (4, 8, 8), 6, method, "cosine")
    assert walk.shape == (6, 4, 8, 8)
    assert torch.equal(walk[0], noise.seed_noise(3, (4, 8, 8)))
    assert torch.equal(walk[-1], noise.seed_noise(4, (4, 8, 8)))


@pytest.mark.parametrize(("start", "count"), [(0, 3), (4, 0), (2, 5), (9, 1)])
def test_a_window_equals_the_slice_of_the_whole_walk(start, count):
    whole = noise.seed_walk(5, 6, (4, 8, 8), 10, "slerp", "smoothstep")
    part = noise.seed_walk(5, 6, (4, 8, 8), 10, "slerp", "smoothstep", start, count)
    stop = 10 if count == 0 else start + count
    assert torch.equal(part, whole[start:stop])


def test_seed_walk_uses_eased_times():
    """Frame k is slerp(noise(a), noise(b), e(k / (N - 1)))."""
    a, b = noise.seed_noise(1, (4, 8, 8)), noise.seed_noise(2, (4, 8, 8))
    t = schedule.ease(schedule.frame_times(5), "ease_in")
    expected = interpolate.slerp(a[None], b[None], t)
    assert torch.equal(noise.seed_walk(1, 2, (4, 8, 8), 5, "slerp", "ease_in"), expected)


def test_a_walk_needs_two_frames():
    with pytest.raises(ValueError, match="frames must be >= 2 for a walk from one seed to another, got 1"):
        noise.seed_walk(1, 2, (4, 8, 8), 1)


# --- seed lists -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seeds"), [
    ("1337, 42, 7", [1337, 42, 7]), ("1 2", [1, 2]), (" 5;6,\n7 ", [5, 6, 7]),
    (f"0, {noise.SEED_MAX}", [0, noise.SEED_MAX]), ("3, 3", [3, 3]),
])
def test_parse_seeds_reads_lists(text, seeds):
    assert noise.parse_seeds(text) == seeds


@pytest.mark.parametrize(("text", "message"), [
    ("", r"seeds must list at least 2 seeds separated by commas \(e.g. '1337, 42, 7'\), got ''"),
    ("42", r"at least 2 seeds.*got '42'"),
    ("1, two, 3", r"seeds: entry 2 \('two'\) is not a whole number"),
    ("1, -5", r"seeds: entry 2 \('-5'\) is not a whole number"),
    ("1, 2.5", r"entry 2 \('2.5'\) is not a whole number"),
    (f"1, {noise.SEED_MAX + 1}", r"seeds: entry 2 \(18446744073709551616\) is above the largest seed"),
])
def test_parse_seeds_refuses_bad_lists_by_entry(text, message):
    with pytest.raises(ValueError, match=message):
        noise.parse_seeds(text)


# --- seed chains ----------------------------------------------------------------------------

SHAPE = (4, 8, 8)


@settings(max_examples=60, deadline=None)
@given(k=st.integers(2, 6), f=st.integers(1, 7), closed=st.booleans())
def test_chain_frame_counts(k, f, closed):
    """Open: (K - 1) F + 1 frames; closed: K F."""
    walk = noise.chain_walk(list(range(10, 10 + k)), (2, 3), f, "slerp", "linear", closed)
    assert walk.shape == ((k * f if closed else (k - 1) * f + 1), 2, 3)
    assert schedule.chain_length(k, f, closed) == walk.shape[0]


@pytest.mark.parametrize("closed", [False, True])
@pytest.mark.parametrize("method", list(interpolate.METHODS))
@pytest.mark.parametrize("easing", ["linear", "cosine"])
def test_chain_keyframes_are_the_seeds_and_no_frame_repeats(closed, method, easing):
    """Frame i F is seed i's noise bit for bit; no two consecutive frames are equal (no joint doubled)."""
    seeds = [1337, 42, 7, 99]
    walk = noise.chain_walk(seeds, SHAPE, 3, method, easing, closed)
    for i, seed in enumerate(seeds):
        assert torch.equal(walk[3 * i], noise.seed_noise(seed, SHAPE))
    steps = (walk[1:] - walk[:-1]).flatten(1).abs().amax(dim=1)
    assert bool((steps > 0).all())
    if closed:
        assert not torch.equal(walk[-1], walk[0])


def test_chain_segments_are_two_seed_walks():
    """Segment i of the chain is the walk from seed i to seed i + 1 without its end frame."""
    walk = noise.chain_walk([5, 6, 7], SHAPE, 4, "slerp", "smoothstep", closed=True)
    assert torch.equal(walk[0:4], noise.seed_walk(5, 6, SHAPE, 5, "slerp", "smoothstep")[:4])
    assert torch.equal(walk[4:8], noise.seed_walk(6, 7, SHAPE, 5, "slerp", "smoothstep")[:4])
    assert torch.equal(walk[8:12], noise.seed_walk(7, 5, SHAPE, 5, "slerp", "smoothstep")[:4])


def test_closed_chain_steps_are_even_across_joints_and_the_seam():
    """Linear slerp with equal-norm keyframes: |z_{j+1} - z_j| is the same everywhere, last -> first too."""
    walk = noise.chain_walk([1, 2, 3], (4, 32, 32), 6, "slerp", "linear", closed=True)
    steps = steps_around(walk)  # the seeds' noises have norms equal within about 1%
    assert float(steps.std() / steps.mean()) < 0.02
    assert float(steps[-1]) == pytest.approx(float(steps[:6].mean()), rel=0.02)
    lerp = steps_around(noise.chain_walk([1, 2, 3], (4, 32, 32), 6, "lerp", "cosine", closed=True))
    assert float(lerp.std() / lerp.mean()) > 0.2  # the measure does see uneven steps


def test_chain_needs_two_seeds_and_a_frame_per_segment():
    with pytest.raises(ValueError, match="a chain needs at least 2 keyframes, got 1"):
        noise.chain_walk([1], SHAPE, 4)
    with pytest.raises(ValueError, match="frames_per_segment must be >= 1, got 0"):
        noise.chain_walk([1, 2], SHAPE, 0)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), k=st.integers(2, 5), f=st.integers(1, 5), closed=st.booleans(),
       method=st.sampled_from(list(interpolate.METHODS)), easing=st.sampled_from(list(schedule.EASINGS)))
def test_chain_window_is_the_slice_of_the_whole_chain(data, k, f, closed, method, easing):
    seeds = list(range(100, 100 + k))
    whole = noise.chain_walk(seeds, (2, 4, 4), f, method, easing, closed)
    start = data.draw(st.integers(0, whole.shape[0] - 1))
    count = data.draw(st.integers(0, whole.shape[0] - start))
    part = noise.chain_walk(seeds, (2, 4, 4), f, method, easing, closed, start, count)
    assert torch.equal(part, whole[start:start + count] if count else whole[start:])


# --- circular loops -------------------------------------------------------------------------

BIG = (4, 256, 256)


def steps_around(loop: torch.Tensor) -> torch.Tensor:
    """|z_{k+1} - z_k| for k = 0..N-1, the last one being the step from the last frame back to the first."""
    z = loop.double().flatten(1)
    return (torch.roll(z, -1, 0) - z).norm(dim=1)


@pytest.mark.parametrize(("radius", "centre"), [(1.0, 0), (0.5, 7), (0.2, 8)])
def test_every_loop_frame_has_unit_variance_within_one_percent(radius, centre):
    loop = noise.circular_loop(1337, 42, BIG, 16, radius, centre)
    variance = loop.double().flatten(1).pow(2).mean(dim=1)
    assert torch.allclose(variance, torch.ones(16, dtype=torch.float64), rtol=0.01)
    assert float(variance.max() - variance.min()) < 1e-5


def test_loop_frame_zero_is_seed_x_and_closure_step_equals_the_others():
    loop = noise.circular_loop(3, 4, (4, 16, 16), 12)
    assert torch.equal(loop[0], noise.seed_noise(3, (4, 16, 16)))
    steps = steps_around(loop)
    norm = noise.seed_noise(3, (4, 16, 16)).double().norm()
    assert torch.allclose(steps, torch.full_like(steps, float(2 * norm * math.sin(math.pi / 12))), rtol=1e-5)


def test_loop_follows_the_circle_formula():
    """n_k = cos(2 pi k / N) x + sin(2 pi k / N) y' with y' orthogonal to x, |y'| = |x|."""
    n = 8
    loop = noise.circular_loop(10, 11, (4, 8, 8), n).double().flatten(1)
    x = noise.seed_noise(10, (4, 8, 8)).double().flatten()
    y = loop[2]  # phi_2 = pi / 2: frame 2 is y' itself
    assert float(y @ x) == pytest.approx(0.0, abs=1e-3)
    assert float(y.norm()) == pytest.approx(float(x.norm()), rel=1e-6)
    k = torch.arange(n, dtype=torch.float64)[:, None]
    expected = torch.cos(2 * math.pi * k / n) * x + torch.sin(2 * math.pi * k / n) * y
    assert torch.allclose(loop, expected, atol=1e-5)
    assert torch.allclose(loop[4], -x, atol=1e-5)


def test_loop_with_radius_circles_the_centre():
    """sqrt(1 - r^2) c + r (...): every frame is at the same distance r |c| from sqrt(1 - r^2) c."""
    r = 0.3
    loop = noise.circular_loop(1, 2, (4, 16, 16), 10, r, 9).double().flatten(1)
    c = noise.seed_noise(9, (4, 16, 16)).double().flatten()
    off = loop - math.sqrt(1 - r * r) * c
    assert torch.allclose(off.norm(dim=1), torch.full((10,), r * float(c.norm()), dtype=torch.float64), rtol=1e-5)
    assert torch.allclose(off @ c, torch.zeros(10, dtype=torch.float64), atol=1e-2)
    still = noise.circular_loop(1, 2, (4, 16, 16), 5, 0.0, 9)
    assert torch.equal(still[3], noise.seed_noise(9, (4, 16, 16)))


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(2, 30), radius=st.sampled_from([1.0, 0.7, 0.0]))
def test_loop_window_is_the_slice_of_the_whole_loop(data, n, radius):
    whole = noise.circular_loop(5, 6, (2, 4, 4), n, radius, 7)
    start = data.draw(st.integers(0, n - 1))
    count = data.draw(st.integers(0, n - start))
    part = noise.circular_loop(5, 6, (2, 4, 4), n, radius, 7, start, count)
    assert torch.equal(part, whole[start:start + count] if count else whole[start:])


@settings(max_examples=30, deadline=None)
@given(x=st.integers(0, 2**64 - 1), y=st.integers(0, 2**64 - 1), n=st.integers(3, 40))
def test_loop_is_finite_with_equal_norms_and_equal_steps_for_any_seeds(x, y, n):
    """Seeds that differ only above bit 32 draw the same noise (torch's CPU generator, hence
    ComfyUI's): the loop refuses those, so distinct low words are assumed."""
    assume(x % 2**32 != y % 2**32)
    loop = noise.circular_loop(x, y, (4, 8, 8), n)
    norms = loop.double().flatten(1).norm(dim=1)
    steps = steps_around(loop)
    assert bool(torch.isfinite(loop).all())
    assert torch.allclose(norms, norms[:1].expand(n), rtol=1e-5)
    assert torch.allclose(steps, steps[:1].expand(n), rtol=1e-4)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(seed_x=4, seed_y=4), r"seed_y must differ from seed_x \(both are 4\)"),
    (dict(frames=1), r"frames must be >= 2 for a loop, got 1"),
    (dict(radius=1.5), r"radius must be in 0..1 .* got 1.5"),
    (dict(radius=float("nan")), r"radius must be in 0..1"),
    (dict(radius=0.5, centre_seed=1), r"centre_seed must differ from seed_x and seed_y \(got 1\) when radius < 1"),
])
def test_loop_refuses_bad_parameters(kwargs, message):
    args = dict(seed_x=1, seed_y=2, frame_shape=(4, 8, 8), frames=8, radius=1.0, centre_seed=3) | kwargs
    with pytest.raises(ValueError, match=message):
        noise.circular_loop(**args)


def test_timed_walk_at_linear_times_is_the_seed_walk():
    times = schedule.frame_times(7).double()
    walk = noise.timed_walk(3, 4, (4, 6, 5), times, "slerp")
    assert torch.equal(walk, noise.seed_walk(3, 4, (4, 6, 5), 7, "slerp"))
    ends = noise.timed_walk(3, 4, (4, 6, 5), torch.tensor([0.0, 1.0], dtype=torch.float64), "nlerp")
    assert torch.equal(ends[0], noise.seed_noise(3, (4, 6, 5))) and torch.equal(ends[1], noise.seed_noise(4, (4, 6, 5)))


def test_clip_loop_puts_the_clip_frames_on_the_circle():
    """Latent frame t of the clip is the loop's frame t of T; the step from the last back to the first is even."""
    clip = noise.clip_loop(3, 4, (16, 6, 5, 7))
    loop = noise.circular_loop(3, 4, (16, 5, 7), 6)
    assert clip.shape == (16, 6, 5, 7)
    assert torch.equal(clip[:, 0], noise.seed_noise(3, (16, 5, 7)))
    assert torch.equal(clip.movedim(1, 0), loop)
    steps = [(clip[:, (t + 1) % 6] - clip[:, t]).norm().item() for t in range(6)]
    assert max(steps) - min(steps) < 1e-3 * max(steps)


def test_clip_loop_refuses_a_shape_without_frames():
    with pytest.raises(ValueError, match=r"a clip's shape is C x T x H x W, got \(16, 8\)"):
        noise.clip_loop(3, 4, (16, 8))


def test_figure_eight_crosses_at_seed_x_turns_at_seed_y_and_keeps_the_norm():
    """Viviani's curve: frames 0 and N/2 are seed_x's noise, N/4 and 3N/4 seed_y's (made orthogonal) and its
    mirror, every frame has |x| exactly (cos^4 + sin^2 + cos^2 sin^2 = 1)."""
    shape = (4, 16, 16)
    eight = noise.figure_eight(5, 6, 7, shape, 16)
    x, y = noise.seed_noise(5, shape), noise.seed_noise(6, shape)
    assert eight.shape == (16, *shape) and eight.dtype == torch.float32
    assert torch.equal(eight[0], x)
    assert torch.allclose(eight[8], x, atol=1e-6)
    assert torch.allclose(eight[12], -eight[4], atol=1e-6)
    assert torch.nn.functional.cosine_similarity(eight[4].flatten(), y.flatten(), dim=0) > 0.99
    norms = eight.double().flatten(1).norm(dim=1) / x.double().norm()
    assert torch.allclose(norms, torch.ones(16, dtype=torch.float64), atol=1e-6)


def test_figure_eight_is_a_smooth_loop_whose_windows_are_slices():
    """The step from the last frame back to frame 0 is no longer than the steps along the curve, and any
    window equals the same frames of the whole loop."""
    shape = (4, 8, 8)
    eight = noise.figure_eight(1, 2, 3, shape, 24).double().flatten(1)
    steps = (eight.roll(-1, dims=0) - eight).norm(dim=1)
    assert steps[-1] <= steps.max() + 1e-9 and steps.min() > 0
    assert torch.equal(noise.figure_eight(1, 2, 3, shape, 24, 5, 7), noise.figure_eight(1, 2, 3, shape, 24)[5:12])


@pytest.mark.parametrize(("seeds", "frames", "message"), [
    ((1, 2, 3), 3, r"^frames must be >= 4 for a figure eight"),
    ((1, 1, 3), 8, r"^seed_y must differ from seed_x \(both are 1\)"),
    ((1, 2, 1), 8, r"^seed_z must differ from seed_x and seed_y \(got 1\)"),
])
def test_figure_eight_refuses_what_makes_no_figure_eight(seeds, frames, message):
    with pytest.raises(ValueError, match=message):
        noise.figure_eight(*seeds, (4, 8, 8), frames)
