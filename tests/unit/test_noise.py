"""latent_ops.noise: seed noise and the seed walk (shared/SPEC.md, "Noise of a seed")."""

import pytest
import torch

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
