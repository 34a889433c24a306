"""Step noise that walks with the frames: each walk's weights over its keyframe seeds' streams."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import noise, step_noise, walks

SHAPE = (4, 32, 32)

WALKS = [
    walks.SeedWalk(1, 2, 9),
    walks.SeedWalk(1, 2, 9, "lerp", "smoothstep"),
    walks.SeedChainWalk("3, 4, 5", 4, "nlerp", "cosine", closed=True),
    walks.SeedVariations(7, "1, 2, 3", 0.3, 3, closed=True),
    walks.NoiseLoop(1, 2, 8),
    walks.NoiseLoop(1, 2, 8, 0.4, 9),
    walks.TimedSeedWalk(1, 2, 6, "slerp"),
    walks.FigureEightLoop(1, 2, 3, 12),
]


def walked_noise(walk: walks.NoiseWalk, frames: range) -> torch.Tensor:
    """The walk's step-noise mix applied to its seeds' own noise, as the Walk Sampler applies it to their steps."""
    mix = walk.step_mix(frames)
    return step_noise.combine(mix.weights, torch.stack([noise.seed_noise(s, SHAPE) for s in mix.seeds]))


@pytest.mark.parametrize("walk", WALKS, ids=lambda w: type(w).__name__)
def test_every_frames_weights_square_sum_to_one(walk):
    weights = walk.step_mix(range(walk.length)).weights
    assert weights.dtype == torch.float64 and weights.shape[0] == walk.length
    assert torch.allclose((weights ** 2).sum(dim=1), torch.ones(walk.length, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("walk", WALKS, ids=lambda w: type(w).__name__)
def test_a_windows_weights_are_the_whole_walks_for_the_same_frames(walk):
    """Any window's frame j gets exactly the whole walk's weights, over the seeds the window uses."""
    whole = walk.step_mix(range(walk.length))
    part = walk.step_mix(range(2, 5))
    columns = [whole.seeds.index(s) for s in part.seeds]
    assert torch.equal(part.weights, whole.weights[2:5, columns])
    unused = [c for c, s in enumerate(whole.seeds) if s not in part.seeds]
    assert not whole.weights[2:5, unused].any()


@pytest.mark.parametrize("walk", [w for w in WALKS if not isinstance(w, walks.NoiseLoop) or w.radius == 1.0],
                         ids=lambda w: type(w).__name__)
def test_the_step_weights_walk_as_the_starting_noise_does(walk):
    """Applied to the seeds' own noise, the step weights give the walk's starting noise (up to the O(1/sqrt(D))
    correlation of independent seeds, and lerp's variance loss, which the step noise does not take)."""
    frames = range(walk.length)
    walked = walked_noise(walk, frames)
    own = walk.noise_frames(SHAPE, frames)
    direction = own / own.flatten(1).norm(dim=1).reshape(-1, 1, 1, 1)
    walked_direction = walked / walked.flatten(1).norm(dim=1).reshape(-1, 1, 1, 1)
    assert (walked_direction - direction).flatten(1).norm(dim=1).max() < 0.05
    assert torch.allclose(walked.flatten(1).std(dim=1), torch.ones(walk.length), atol=0.03)


def test_keyframes_are_one_seeds_stream_exactly():
    """Frame 0 and the last frame of a seed walk are seed A's and seed B's step noise bit for bit."""
    mix = walks.SeedWalk(11, 22, 5, "slerp", "cosine").step_mix(range(5))
    assert mix.seeds == (11, 22)
    assert mix.weights[0].tolist() == [1.0, 0.0] and mix.weights[-1].tolist() == [0.0, 1.0]
    streams = torch.randn(2, *SHAPE)
    frames = step_noise.combine(mix.weights, streams)
    assert torch.equal(frames[0], streams[0]) and torch.equal(frames[-1], streams[1])
    chain = walks.SeedChainWalk("5, 6, 7", 3).step_mix(range(7))
    assert chain.weights[[0, 3, 6]].tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    loop = walks.NoiseLoop(1, 2, 6).step_mix(range(1))
    assert loop.weights.tolist() == [[1.0, 0.0]]


@settings(max_examples=60, deadline=None)
@given(t=st.floats(0.0, 1.0), method=st.sampled_from(["slerp", "nlerp", "lerp"]))
def test_two_seeds_get_the_methods_weights_for_orthogonal_keyframes(t, method):
    """slerp: (cos(pi t / 2), sin(pi t / 2)); lerp and nlerp: (1 - t, t) / sqrt((1 - t)^2 + t^2)."""
    seeds, keys = step_noise.seed_keyframes([1, 2])
    zero = torch.zeros(1, dtype=torch.int64)
    w = step_noise.pair_mix(seeds, keys, zero, zero + 1, torch.tensor([t], dtype=torch.float64), method).weights[0]
    if method == "slerp":
        expected = [math.cos(math.pi * t / 2), math.sin(math.pi * t / 2)]
    else:
        norm = math.hypot(1 - t, t)
        expected = [(1 - t) / norm, t / norm]
    assert w.tolist() == pytest.approx(expected, abs=1e-12)


def test_a_seed_walked_to_itself_keeps_its_step_noise():
    """Equal seeds are one stream: their weights add before normalising, so the frame is that seed's stream."""
    mix = walks.SeedChainWalk("5, 5, 6", 2).step_mix(range(5))
    assert mix.seeds == (5, 6)
    assert mix.weights[:3].tolist() == [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]


def test_the_loops_weights_are_cos_and_sin_around_the_circle():
    phi = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8
    loop = walks.NoiseLoop(1, 2, 8).step_mix(range(8))
    assert loop.seeds == (1, 2)
    assert torch.allclose(loop.weights, torch.stack([phi.cos(), phi.sin()], dim=1), atol=1e-15)
    small = walks.NoiseLoop(1, 2, 8, 0.6, 3).step_mix(range(8))
    assert small.seeds == (3, 1, 2)
    assert torch.allclose(small.weights[:, 0], torch.full((8,), 0.8, dtype=torch.float64))
    assert torch.allclose(small.weights[:, 1:], 0.6 * torch.stack([phi.cos(), phi.sin()], dim=1))


def test_a_window_uses_only_the_keyframes_it_touches():
    mix = walks.SeedChainWalk("1, 2, 3, 4", 4).step_mix(range(8, 11))
    assert mix.seeds == (3, 4) and mix.weights.shape == (3, 2)


def test_mixing_independent_brownian_motions_with_unit_weights_gives_unit_variance_increments():
    """sum_i w_i W_i with sum w_i^2 = 1: each normalised increment is N(0, 1), whatever the weights."""
    generator = torch.Generator().manual_seed(0)
    increments = torch.randn(3, 200_000, generator=generator, dtype=torch.float64)
    weights = step_noise.unit_rows(torch.tensor([[0.3, -1.2, 0.5], [1.0, 0.0, 0.0]], dtype=torch.float64))
    mixed = step_noise.combine(weights, increments)
    assert mixed.std(dim=1).tolist() == pytest.approx([1.0, 1.0], abs=0.01)
    assert torch.equal(mixed[1], increments[0])


def test_combine_keeps_dtype_and_device_and_does_not_mutate():
    streams = torch.randn(2, *SHAPE).half()
    before = streams.clone()
    out = step_noise.combine(torch.tensor([[0.6, 0.8]], dtype=torch.float64), streams)
    assert out.dtype == torch.float16 and out.shape == (1, *SHAPE) and torch.equal(streams, before)


def test_walks_whose_frames_are_no_seed_mix_refuse():
    pan = walks.NoisePan("pan", "width", 1.0, False, False, "linear", "round", "1, 2", 64, 64)
    with pytest.raises(ValueError, match=r"MeanderNoisePan's frames are not a mix of whole seeds' noises.*"
                       r"deterministic sampler"):
        pan.step_mix(range(3))


def test_a_frame_with_no_weight_is_refused():
    with pytest.raises(ValueError, match="step-noise weights are all zero"):
        step_noise.unit_rows(torch.zeros(2, 2, dtype=torch.float64))
