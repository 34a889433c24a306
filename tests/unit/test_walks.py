"""latent_ops.walks: each walk's length, window, progress and checks in one object, and the plan
the editor and the CLI read (docs/SPEC.md)."""

import pytest
import torch

from latent_ops import noise, walks

SHAPE = (4, 8, 8)
PAN = {"motion": "pan", "axis": "width", "stride": 16.0, "loop": False, "ping_pong": False, "easing": "linear",
       "subpixel": "round", "width": 512, "height": 512}


@pytest.mark.parametrize(("node_id", "inputs", "length"), [
    ("MeanderSeedWalk", {"seed_a": 1, "seed_b": 2, "frames": 7}, 7),
    ("MeanderSeedChainWalk", {"seeds": "1, 2, 3", "frames_per_segment": 4, "closed": False}, 9),
    ("MeanderSeedChainWalk", {"seeds": "1, 2, 3", "frames_per_segment": 4, "closed": True}, 12),
    ("MeanderSeedVariations", {"seed": 5, "variation_seeds": "1 2 3", "strength": 0.2, "frames_per_variation": 3,
                               "closed": True}, 9),
    ("MeanderNoiseLoop", {"seed_x": 1, "seed_y": 2, "frames": 10}, 10),
    ("MeanderFigureEightLoop", {"seed_x": 1, "seed_y": 2, "seed_z": 3, "frames": 12}, 12),
    ("MeanderNoisePan", {**PAN, "seeds": "1, 2"}, 5),
    ("MeanderNoisePan", {**PAN, "seeds": "1, 2", "ping_pong": True}, 8),
    ("MeanderPromptTravel", {"schedule": "0: a dog\n6: a cat", "frames": 0}, 7),
    ("MeanderPromptTravel", {"schedule": "0: a dog\n6: a cat", "frames": 10, "loop": True}, 10),
    ("MeanderConditioningTravel", {"conditioning_1": ["4", 0], "conditioning_2": ["5", 0], "conditioning_3": None,
                                   "frames_per_segment": 3, "loop": False}, 4),
    ("MeanderPromptDrift", {"frames": 150}, 150),
    ("MeanderTimedSeedWalk", {"seed_a": 1, "seed_b": 2, "frames": 5, "time_warp": ["9", 0]}, 5),
])
def test_length_from_the_node_inputs(node_id, inputs, length):
    assert walks.length_of(node_id, inputs) == length
    assert walks.plan(node_id, inputs)["length"] == length


def test_a_linked_length_or_a_batch_length_is_unknown():
    assert walks.length_of("MeanderSeedWalk", {"seed_a": 1, "seed_b": 2, "frames": ["3", 0]}) is None
    assert walks.length_of("MeanderLatentPan", {"stride": 1.0}) is None
    with pytest.raises(walks.UnknownLength, match="frames"):
        walks.plan("MeanderSeedWalk", {"seed_a": 1, "seed_b": 2, "frames": ["3", 0]})


def test_checks_give_the_node_messages():
    with pytest.raises(ValueError, match=r"^frames must be >= 2 for a walk from one seed to another, got 1$"):
        walks.SeedWalk(1, 2, 1).window()
    with pytest.raises(ValueError, match=r"^strength must be in 0..1 \(0 = the seed's own image"):
        walks.SeedVariations(1, "2, 3", 1.5, 4).window()
    with pytest.raises(ValueError, match=r"^variation_seeds must list at least 2 seeds"):
        walks.SeedVariations(1, "2", 0.2, 4).window()
    with pytest.raises(ValueError, match=r"^start_frame must be in 0..6 for a walk of 7 frames, got 7$"):
        walks.plan("MeanderSeedWalk", {"seed_a": 1, "seed_b": 2, "frames": 7, "start_frame": 7})


def test_plan_gives_window_and_eased_progress():
    plan = walks.plan("MeanderSeedWalk", {"seed_a": 1, "seed_b": 2, "frames": 5, "easing": "smoothstep",
                                          "start_frame": 1, "frame_count": 2})
    assert plan == {"length": 5, "window": [1, 3], "frames": [0, 1, 2, 3, 4],
                    "progress": [0.0, 0.15625, 0.5, 0.84375, 1.0]}
    loop = walks.plan("MeanderNoiseLoop", {"seed_x": 1, "seed_y": 2, "frames": 4})
    assert loop["progress"] == [0.0, 0.25, 0.5, 0.75]
    pong = walks.plan("MeanderNoisePan", {**PAN, "seeds": "1, 2", "ping_pong": True})
    assert pong["progress"] == [0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25]


def test_a_long_walk_plans_at_most_plan_points_frames():
    plan = walks.plan("MeanderSeedWalk", {"seed_a": 1, "seed_b": 2, "frames": 10_000})
    assert len(plan["frames"]) == walks.PLAN_POINTS == len(plan["progress"])
    assert plan["frames"][0] == 0 and plan["frames"][-1] == 9_999
    assert plan["progress"][0] == 0.0 and plan["progress"][-1] == 1.0


def test_seed_variations_keyframes_are_the_variations_exactly():
    walk = walks.SeedVariations(1337, "1, 2, 3", 0.25, 4, closed=True)
    frames = walk.noise_frames(SHAPE, walk.window())
    assert frames.shape == (12, *SHAPE)
    for i, seed in enumerate([1, 2, 3]):
        assert torch.equal(frames[4 * i], noise.variation_noise(1337, seed, 0.25, SHAPE))
    assert not torch.equal(frames[1], frames[0])
    assert abs(float(frames.std()) - 1.0) < 0.1, "slerp keeps the noise near unit variance"


def test_seed_variations_at_strength_zero_are_the_seed_itself():
    walk = walks.SeedVariations(1337, "1, 2", 0.0, 3)
    frames = walk.noise_frames(SHAPE, walk.window())
    base = noise.seed_noise(1337, SHAPE)
    assert torch.equal(frames[0], base) and torch.equal(frames[3], base)  # the keyframes, bit for bit
    assert all(torch.allclose(frame, base, atol=1e-6) for frame in frames)  # between: up to rounding


def test_seed_variations_stay_closer_to_the_seed_than_the_variation_seeds_are():
    """At strength 0.2 every frame is much nearer the seed's noise than an unrelated seed's noise is."""
    walk = walks.SeedVariations(7, "11, 12, 13", 0.2, 5)
    frames = walk.noise_frames(SHAPE, walk.window())
    base = noise.seed_noise(7, SHAPE)
    near = (frames - base).flatten(1).norm(dim=1).max()
    far = (noise.seed_noise(11, SHAPE) - base).norm()
    assert near < 0.45 * far


@pytest.mark.parametrize(("start", "count"), [(0, 3), (5, 0), (2, 4)])
def test_seed_variations_windows_are_slices(start, count):
    walk = walks.SeedVariations(3, "4, 5, 6", 0.3, 4, "cosine", closed=False)
    whole = walk.noise_frames(SHAPE, walk.window())
    part = walk.noise_frames(SHAPE, walk.window(start, count))
    assert torch.equal(part, whole[start:start + count] if count else whole[start:])
