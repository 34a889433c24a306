"""docs/SPEC.md's identities for every walk family, over random shapes, dtypes, frame counts and seeds.

Endpoints exact, unit variance, loop closure, window == slice, and no NaN anywhere (degenerate
endpoints included). Each test states its identity; hypothesis draws the inputs.
"""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import embedding, interpolate, noise, schedule, windows

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
METHODS = list(interpolate.METHODS)
EASINGS = list(schedule.EASINGS)
SEEDS = st.integers(0, noise.SEED_MAX)
# Image latents (C, H, W) and video latents (C, T, H, W), channels of SD (4) and SD3/Flux (16).
FRAME_SHAPES = st.one_of(
    st.tuples(st.sampled_from([1, 4, 16]), st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.sampled_from([4, 16]), st.integers(1, 3), st.integers(1, 5), st.integers(1, 5)),
)
FAST = settings(max_examples=40, deadline=None)


def window_of(data, total: int) -> tuple[int, int]:
    start = data.draw(st.integers(0, total - 1), label="start_frame")
    count = data.draw(st.integers(0, total - start), label="frame_count")
    return start, count


def degenerate_pair(kind: str, shape, dtype, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Endpoint pairs that break naive slerps: equal, opposite, zero, tiny, huge, random."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn((1, *shape), generator=g)
    b = torch.randn((1, *shape), generator=g)
    pairs = {
        "random": (a, b),
        "equal": (a, a.clone()),
        "opposite": (a, -a),
        "zero_a": (torch.zeros_like(a), b),
        "both_zero": (torch.zeros_like(a), torch.zeros_like(b)),
        "tiny": (a * 1e-30, b * 1e-30),
        "large": (a * 1e3, b * 1e3),
        "nearly_parallel": (a, a + 1e-4 * b),
    }
    x, y = pairs[kind]
    return x.to(dtype), y.to(dtype)


@FAST
@given(kind=st.sampled_from(["random", "equal", "opposite", "zero_a", "both_zero", "tiny", "large",
                             "nearly_parallel"]),
       shape=FRAME_SHAPES, dtype=st.sampled_from(DTYPES), method=st.sampled_from(METHODS), seed=SEEDS,
       frames=st.integers(2, 12))
def test_interpolation_is_finite_with_exact_ends_for_any_endpoints(kind, shape, dtype, method, seed, frames):
    """interp(a, b, 0) == a, interp(a, b, 1) == b bit for bit, every frame finite, dtype kept."""
    a, b = degenerate_pair(kind, shape, dtype, seed)
    out = interpolate.interpolate(a, b, schedule.frame_times(frames), method)
    assert out.dtype == dtype and out.shape == (frames, *shape)
    assert bool(torch.isfinite(out.float()).all())
    assert torch.equal(out[0], a[0]) and torch.equal(out[-1], b[0])


@FAST
@given(kind=st.sampled_from(["equal", "opposite", "zero_a", "nearly_parallel"]), shape=FRAME_SHAPES,
       method=st.sampled_from(METHODS), seed=SEEDS)
def test_interpolation_is_deterministic_for_degenerate_endpoints(kind, shape, method, seed):
    """The same inputs give bit-identical frames (the great circle of opposite endpoints is not random)."""
    a, b = degenerate_pair(kind, shape, torch.float32, seed)
    t = schedule.frame_times(7)
    assert torch.equal(interpolate.interpolate(a, b, t, method), interpolate.interpolate(a, b, t, method))


@FAST
@given(seeds=st.lists(SEEDS, min_size=2, max_size=4), shape=FRAME_SHAPES, f=st.integers(1, 5),
       method=st.sampled_from(METHODS), easing=st.sampled_from(EASINGS), closed=st.booleans(), data=st.data())
def test_chain_keyframes_exact_and_window_equals_slice(seeds, shape, f, method, easing, closed, data):
    """Frame i F is seed i's noise bit for bit; any window is the same frames of the whole walk; no NaN."""
    whole = noise.chain_walk(seeds, shape, f, method, easing, closed)
    total = schedule.chain_length(len(seeds), f, closed)
    assert whole.shape == (total, *shape) and bool(torch.isfinite(whole).all())
    for i, seed in enumerate(seeds):
        if i * f < total:
            assert torch.equal(whole[i * f], noise.seed_noise(seed, shape))
    start, count = window_of(data, total)
    part = noise.chain_walk(seeds, shape, f, method, easing, closed, start, count)
    assert torch.equal(part, whole[start: start + count if count else total])


@settings(max_examples=15, deadline=None)
@given(seed_a=SEEDS, seed_b=SEEDS, method=st.sampled_from(["slerp", "nlerp"]), frames=st.integers(3, 9),
       channels=st.sampled_from([4, 16]))
def test_slerp_and_nlerp_walks_keep_unit_variance(seed_a, seed_b, method, frames, channels):
    """Every frame's std stays near the endpoints' (1 for Gaussian noise): within 5% on 4096+ values."""
    if seed_a == seed_b:
        seed_b += 1
    walk = noise.seed_walk(seed_a, seed_b, (channels, 32, 32), frames, method)
    std = walk.flatten(1).std(dim=1)
    assert torch.allclose(std, torch.ones_like(std), rtol=0.05), std


@FAST
@given(x=SEEDS, y=SEEDS, shape=FRAME_SHAPES, frames=st.integers(2, 24), radius=st.sampled_from([1.0, 0.5, 0.1]),
       data=st.data())
def test_circular_loop_has_equal_norms_closes_and_windows_are_slices(x, y, shape, frames, radius, data):
    """|n_k| is the same for every frame, the step from the last frame to the first equals the others,
    and any window equals the same frames of the whole loop."""
    if x == y:
        y = (y + 1) % (noise.SEED_MAX + 1)
    centre = next(s for s in (7, 8, 9) if s not in (x, y))
    if math.prod(shape) < 3:  # too few values for three independent directions
        return
    try:
        whole = noise.circular_loop(x, y, shape, frames, radius, centre)
    except ValueError as e:  # tiny shapes can draw (nearly) parallel noises: a documented refusal
        assert "nearly) the same noise" in str(e)
        return
    norms = whole.double().flatten(1).norm(dim=1)
    assert torch.allclose(norms, norms[0].expand_as(norms), rtol=1e-5)
    steps = (whole.double().roll(-1, 0) - whole.double()).flatten(1).norm(dim=1)  # includes last -> first
    assert torch.allclose(steps, steps[0].expand_as(steps), rtol=1e-4, atol=1e-6)
    start, count = window_of(data, frames)
    part = noise.circular_loop(x, y, shape, frames, radius, centre, start, count)
    assert torch.equal(part, whole[start: start + count if count else frames])


@FAST
@given(k=st.integers(1, 3), shape=st.tuples(st.sampled_from([4, 16]), st.integers(2, 6), st.integers(2, 6)),
       stride=st.sampled_from([0.5, 1.0, 1.5, 3.0]), loop=st.booleans(), motion=st.sampled_from(windows.MOTIONS),
       subpixel=st.sampled_from(windows.SUBPIXEL), dtype=st.sampled_from(DTYPES), seed=SEEDS, data=st.data())
def test_pans_keep_dtype_end_on_their_latents_and_windows_are_slices(k, shape, stride, loop, motion, subpixel,
                                                                     dtype, seed, data):
    """Open pans start on z_0 and end on z_{K-1} exactly; a loop's frame N would be frame 0; no NaN."""
    if not loop and k < 2:
        k = 2
    z = torch.randn((k, *shape), generator=torch.Generator().manual_seed(seed)).to(dtype)
    kwargs = dict(stride=stride, loop=loop, motion=motion, subpixel=subpixel)
    whole = windows.translate(z, **kwargs)
    assert whole.dtype == dtype and bool(torch.isfinite(whole.float()).all())
    if loop:
        offsets = windows.pan_offsets(k, shape[-1], stride, loop=True)
        step = offsets[1] - offsets[0] if len(offsets) > 1 else torch.tensor(k * shape[-1], dtype=torch.float64)
        assert float(offsets[-1] + step) == float(k * shape[-1])  # the frame after the last is offset K S = 0
        assert torch.equal(whole[0], z[0])
    else:
        assert torch.equal(whole[0], z[0]) and torch.equal(whole[-1], z[-1])
    start, count = window_of(data, whole.shape[0])
    part = windows.translate(z, start_frame=start, frame_count=count, **kwargs)
    assert torch.equal(part, whole[start: start + count if count else whole.shape[0]])


@FAST
@given(seed=SEEDS, tokens=st.sampled_from([1, 3, 77]), width=st.sampled_from([4, 8]), keys=st.integers(2, 4),
       f=st.integers(1, 4), closed=st.booleans(), method=st.sampled_from(embedding.METHODS),
       per=st.sampled_from(embedding.PER), dtype=st.sampled_from(DTYPES), data=st.data())
def test_prompt_travel_hits_its_keyframes_and_windows_are_slices(seed, tokens, width, keys, f, closed, method, per,
                                                                 dtype, data):
    """Frame p_i is keyframe i exactly, no NaN, dtype kept, any window equals the same frames of the walk."""
    g = torch.Generator().manual_seed(seed)
    embeddings = [torch.randn(1, tokens, width, generator=g).to(dtype) for _ in range(keys)]
    positions, frames = embedding.chain_positions(keys, f, closed)
    whole = embedding.keyframe_walk(embeddings, positions, frames, closed, method, per)
    assert whole.dtype == dtype and bool(torch.isfinite(whole.float()).all())
    for p, e in zip(positions, embeddings, strict=True):
        assert torch.equal(whole[p], e[0])
    start, count = window_of(data, frames)
    part = embedding.keyframe_walk(embeddings, positions, frames, closed, method, per, "linear", start, count)
    assert torch.equal(part, whole[start: start + count if count else frames])


@FAST
@given(seed=SEEDS, frames=st.integers(1, 20), radius=st.floats(0.0, 2.0), step=st.floats(-0.1, 0.1),
       dtype=st.sampled_from([torch.float32, torch.float64]), data=st.data())
def test_drift_and_circle_start_where_defined_close_and_windows_are_slices(seed, frames, radius, step, dtype, data):
    """Drift frame 0 is e_0; circle frames are r |e_0| from e_0 and frame N would be frame 0; windows are slices."""
    e0 = torch.randn(1, 3, 8, generator=torch.Generator().manual_seed(seed)).to(dtype)
    start, count = window_of(data, frames)
    stop = start + count if count else frames
    drift = embedding.drift_walk(e0, frames, step, "random", torch.Generator().manual_seed(seed))
    assert torch.equal(drift[0], e0[0]) and bool(torch.isfinite(drift).all())
    part = embedding.drift_walk(e0, frames, step, "random", torch.Generator().manual_seed(seed), start, count)
    assert torch.equal(part, drift[start:stop])
    ring = embedding.circle_walk(e0, frames, radius, torch.Generator().manual_seed(seed))
    distance = (ring.double() - e0.double()).flatten(1).norm(dim=1)
    expected = radius * e0.double().norm()
    assert torch.allclose(distance, expected.expand_as(distance), rtol=1e-4, atol=1e-5)
    part = embedding.circle_walk(e0, frames, radius, torch.Generator().manual_seed(seed), start, count)
    assert torch.equal(part, ring[start:stop])
