"""latent_ops.inversion: euler run backwards, the noise correction, the keyframe noise walk; walks.LatentWalk."""

import math

import pytest
import torch

from latent_ops import inversion, noise, walks

SIGMAS = torch.tensor([14.6, 1.6, 0.03, 0.0], dtype=torch.float64)


def euler(denoise, x, sigmas):
    """The sampler's euler: x' = x - (1 - s' / s)(x - D(x, s))."""
    for i in range(len(sigmas) - 1):
        x = x - (1 - sigmas[i + 1] / sigmas[i]) * (x - denoise(x, sigmas[i]))
    return x


def smooth_denoiser(x, s):
    """D of a Gaussian data distribution N(0, 0.25 I) with a mild nonlinearity: x / (1 + 4 s^2) + 0.01 tanh(x)."""
    return x / (1 + 4 * s**2) + 0.01 * torch.tanh(x)


def test_euler_of_the_inverted_start_lands_on_the_latent():
    """euler(invert_euler(x0)) == x0 within 1e-6 relative for a contracting denoiser with enough rounds."""
    x0 = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 0.5
    x_t = inversion.invert_euler(smooth_denoiser, x0, SIGMAS, refine=40)
    back = euler(smooth_denoiser, x_t, SIGMAS)
    assert float((back - x0).norm() / x0.norm()) < 1e-6
    assert x_t.std() > 5  # the start is at sigma_max's scale, far from the latent


def test_refine_rounds_bring_the_start_closer():
    x0 = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 0.5
    errors = [float((euler(smooth_denoiser, inversion.invert_euler(smooth_denoiser, x0, SIGMAS, k), SIGMAS) - x0)
                    .norm()) for k in (0, 2, 8)]
    assert errors[0] > errors[1] > errors[2]


def test_sigmas_that_do_not_fall_are_refused():
    with pytest.raises(ValueError, match="sigmas must fall step by step"):
        inversion.invert_euler(smooth_denoiser, torch.zeros(1, 4), torch.tensor([1.0, 2.0, 0.0]))


def test_correction_zero_is_the_inverted_noise_and_one_is_unit_and_bounded():
    z = torch.randn(2, 4, 16, 16, generator=torch.Generator().manual_seed(3)) * 1.7 + 0.2
    z[0, 0, 0, 0] = 40.0
    assert torch.equal(inversion.correct_noise(z, 0.0), z)
    full = inversion.correct_noise(z, 1.0)
    assert inversion.rms(full).flatten().tolist() == pytest.approx([1.0, 1.0], rel=1e-5)
    assert float(full[0, 0, 0, 0]) < 4.0 < 40.0 / float(inversion.rms(z)[0])  # the outlier is cut to the bound
    half = inversion.correct_noise(z, 0.5)
    assert torch.allclose(half, 0.5 * z + 0.5 * full, atol=1e-5)


def test_fresh_noise_mixes_the_seeds_noise_and_keeps_unit_variance():
    z = torch.randn(2, 4, 32, 32, generator=torch.Generator().manual_seed(4))
    mixed = inversion.correct_noise(z, 1.0, fresh=0.2, seed=9)
    e = noise.seed_noise(9, z.shape)
    expected = 0.8**0.5 * inversion.correct_noise(z, 1.0) + 0.2**0.5 * e
    assert torch.allclose(mixed, expected, atol=1e-6)
    assert float(mixed.std()) == pytest.approx(1.0, abs=0.05)
    assert torch.equal(inversion.correct_noise(z, 1.0, 1.0, 9), e)


@pytest.mark.parametrize("name,kwargs", [("correction", {"strength": 1.5}),
                                         ("fresh_noise", {"strength": 0, "fresh": -1})])
def test_fractions_out_of_range_are_refused(name, kwargs):
    with pytest.raises(ValueError, match=f"^{name} must be in 0..1"):
        inversion.correct_noise(torch.zeros(1, 4), **kwargs)


def test_relative_error_per_item():
    target = torch.ones(2, 4)
    sampled = torch.stack([torch.ones(4), torch.full((4,), 1.5)])
    assert inversion.relative_error(sampled, target) == pytest.approx([0.0, 0.5])


def keyframe_walk(closed=False):
    keys = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(5))
    return inversion.KeyframeNoiseWalk(walks.ImageWalk(3, 4, "slerp", "smoothstep", closed), keys, 7), keys


@pytest.mark.parametrize("closed", [False, True])
def test_keyframe_walk_hits_its_keyframes_and_windows_are_slices(closed):
    walk, keys = keyframe_walk(closed)
    assert walk.length == (12 if closed else 9) and walk.first_seed == 7
    whole = walk.noise_frames((4, 8, 8), range(walk.length))
    for i in range(3):
        assert torch.equal(whole[4 * i], keys[i])
    assert torch.equal(walk.noise_frames((4, 8, 8), range(3, 7)), whole[3:7])
    assert walk.progress(range(walk.length))[0] == 0


@pytest.mark.parametrize("closed", [False, True])
def test_the_correction_fades_to_nothing_at_the_keyframes_and_is_whole_halfway(closed):
    """Frame j = a_j + sin(pi tau) (b_j - a_j): at each keyframe the inverted noise bit for bit, halfway
    (tau = 1/2) the corrected chain's frame, at tau = 1/4 sin(pi / 4) of the way from a to b."""
    plain, keys = keyframe_walk(closed)
    corrected = inversion.correct_noise(keys, 1.0)
    walk = inversion.KeyframeNoiseWalk(plain.plan, keys, 7, corrected)
    fully = inversion.KeyframeNoiseWalk(plain.plan, corrected, 7)
    frames = walk.noise_frames((4, 8, 8), range(walk.length))
    a, b = plain.noise_frames((4, 8, 8), range(walk.length)), fully.noise_frames((4, 8, 8), range(walk.length))
    for i in range(3):
        assert torch.equal(frames[4 * i], keys[i])
    for i in range(3 if closed else 2):
        assert torch.allclose(frames[4 * i + 2], b[4 * i + 2], atol=1e-6)
    quarter = a[1] + math.sin(math.pi / 4) * (b[1] - a[1])
    assert torch.allclose(frames[1], quarter, atol=1e-6) and not torch.allclose(frames[1], a[1], atol=1e-3)
    assert torch.equal(walk.noise_frames((4, 8, 8), range(3, 7)), frames[3:7])


def test_keyframe_walk_refuses_a_latent_of_another_shape():
    walk, _ = keyframe_walk()
    with pytest.raises(ValueError, match=r"latent_image has items of shape \(16, 8, 8\) but the images' noise is"):
        walk.noise_frames((16, 8, 8), range(2))


def test_latent_and_image_walks_know_their_length_from_the_connected_inputs():
    inputs = {"latent_a": ["1", 0], "latent_b": ["2", 0], "latent_c": ["3", 0], "frames_per_segment": 5,
              "method": "slerp", "easing": "linear", "closed": True}
    assert walks.length_of("MeanderLatentWalk", inputs) == 15
    assert walks.length_of("MeanderLatentWalk", {**inputs, "closed": False}) == 11
    images = {"image_a": ["1", 0], "image_b": ["2", 0], "frames_per_segment": 5, "method": "nlerp",
              "easing": "cosine", "closed": False, "correction": 1.0}
    plan = walks.plan("MeanderImageWalk", {**images, "start_frame": 2, "frame_count": 3})
    assert plan["length"] == 6 and plan["window"] == [2, 5] and plan["progress"][-1] == 1.0
    with pytest.raises(ValueError, match="a chain needs at least 2 keyframes, got 1"):
        walks.plan("MeanderLatentWalk", {**inputs, "latent_b": None, "latent_c": None})
