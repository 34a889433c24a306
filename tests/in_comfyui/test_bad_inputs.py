"""The catalogue of bad and edge inputs: every node's answer, called through its `execute` in the real ComfyUI.

Each row names a node, its inputs and the exact outcome: a ValueError whose message names the
input and the fix (a regex), or a defined result (a check on the outputs). No input may give
NaN or inf frames. Rows build their tensors lazily, so the table costs nothing to collect.
"""

from __future__ import annotations

import json
import re
import sys
import zlib

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from latent_ops import noise as noise_ops
from latent_ops import retime
from scripts import host

NAN = float("nan")
INF = float("inf")
SIZE = dict(width=64, height=64)
WINDOW = dict(start_frame=0, frame_count=0)
HUGE = dict(width=16384, height=16384)


class FakeClip:
    """A text encoder stand-in: a fixed (1, 77, 768) embedding and (1, 768) pooled output per prompt."""

    def __init__(self, tokens: int = 77, width: int = 768):
        self.tokens, self.width = tokens, width

    def tokenize(self, prompt: str) -> str:
        return prompt

    def encode_from_tokens_scheduled(self, prompt: str):
        g = torch.Generator().manual_seed(zlib.crc32(prompt.encode()))
        return [[torch.randn(1, self.tokens, self.width, generator=g),
                 {"pooled_output": torch.randn(1, self.width, generator=g)}]]


class FakeScorer(FakeClip):
    """FakeClip with encode_from_tokens, and a CLIP vision stand-in whose image embeddings are `vision` wide."""

    def __init__(self, vision: int = 768):
        super().__init__()
        self.vision = vision

    def encode_from_tokens(self, prompt: str, return_pooled: bool = False):
        cond, extra = self.encode_from_tokens_scheduled(prompt)[0]
        return cond, extra["pooled_output"]

    def encode_image(self, images: torch.Tensor) -> dict:
        return {"image_embeds": images.reshape(images.shape[0], -1)[:, :1].expand(-1, self.vision) + 1.0}


def cond(tokens=77, width=768, pooled: int | None = 768, fill=None, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    c = torch.randn(1, tokens, width, generator=g) if fill is None else torch.full((1, tokens, width), fill)
    extras = {} if pooled is None else {"pooled_output": torch.randn(1, pooled, generator=g)}
    return [[c.to(dtype), extras]]


def latent(*shape, fill=None, seed=0, dtype=torch.float32, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(shape, generator=g) if fill is None else torch.full(shape, fill)
    return {"samples": z.to(dtype=dtype, device=device)}


def finite(x: torch.Tensor) -> bool:
    return bool(torch.isfinite(x.float()).all())


# ---------------------------------------------------------------------------------------------
# the inputs of each node, with defaults that work


def seed_walk(**kw):
    return {"seed_a": 1, "seed_b": 2, "frames": 4, "method": "slerp", "easing": "linear", **SIZE, **WINDOW, **kw}


def chain(**kw):
    return {"seeds": "1, 2, 3", "frames_per_segment": 3, "method": "slerp", "easing": "linear", "closed": False,
            **SIZE, **WINDOW, **kw}


def variations(**kw):
    return {"seed": 7, "variation_seeds": "1, 2, 3", "strength": 0.2, "frames_per_variation": 3, "easing": "linear",
            "closed": True, **SIZE, **WINDOW, **kw}


def loop(**kw):
    return {"seed_x": 1, "seed_y": 2, "frames": 4, "radius": 1.0, "centre_seed": 3, **SIZE, **WINDOW, **kw}


def eight(**kw):
    return {"seed_x": 1, "seed_y": 2, "seed_z": 3, "frames": 8, **SIZE, **WINDOW, **kw}


def latent_walk(**kw):
    return {"latent_a": latent(1, 4, 8, 8, seed=1), "latent_b": latent(1, 4, 8, 8, seed=2),
            "frames_per_segment": 3, "method": "slerp", "easing": "linear", "closed": False, **WINDOW, **kw}


def video_travel(count: int = 2, **kw):
    heads = {f"conditioning_{i + 1}": cond(seed=i + 1) for i in range(count)}
    return {**heads, "video_latent": latent(1, 16, 9, 8, 8), "keyframe_frames": "0, 16", "frames_per_latent": 4,
            "loop": False, "method": "slerp", "per": "token", "easing": "linear", "pad": "repeat", **kw}


def video_prompts(**kw):
    return {"clip": FakeClip(), "video_latent": latent(1, 16, 9, 8, 8), "schedule": "0: a dog\n16: a cat",
            "frames_per_latent": 4, "loop": False, "method": "slerp", "per": "token", "easing": "linear",
            "pad": "repeat", **kw}


def on_newest(message: str) -> str:
    """A video travel row's answer: its own on a host whose context windows split conditionings, the host's
    refusal first on ComfyUI 0.3.75."""
    return rf"^(?:{message}|ComfyUI 0\.3\.75 cannot give each context window its own conditioning)"


def travel(**kw):
    return {"clip": FakeClip(), "schedule": "0: a dog\n3: a cat", "frames": 0, "loop": False, "method": "slerp",
            "per": "token", "easing": "linear", "pad": "repeat", **SIZE, **WINDOW, **kw}


def ctravel(a=None, b=None, **kw):
    return {"conditioning_1": cond(seed=1) if a is None else a, "conditioning_2": cond(seed=2) if b is None else b,
            "frames_per_segment": 3, "loop": False, "method": "slerp", "per": "token", "easing": "linear",
            "pad": "repeat", **SIZE, **WINDOW, **kw}


def drift(**kw):
    return {"conditioning": cond(), "frames": 4, "step": 0.002, "direction": "ones", "seed": 0, **SIZE, **WINDOW,
            **kw}


def circle(**kw):
    return {"conditioning": cond(), "frames": 4, "radius": 0.1, "seed": 0, **SIZE, **WINDOW, **kw}


def pan(latents=None, **kw):
    return {"latents": latent(2, 4, 8, 8) if latents is None else latents, "motion": "pan", "axis": "width",
            "stride": 1.0, "loop": False, "ping_pong": False, "easing": "linear", "subpixel": "round", **WINDOW,
            **kw}


def noise_pan(**kw):
    return {"seeds": "1, 2", "motion": "pan", "axis": "width", "stride": 1.0, "loop": False, "ping_pong": False,
            "easing": "linear", "subpixel": "round", **SIZE, **WINDOW, **kw}


def timed(**kw):
    return {"time_warp": retime.identity(), "seed_a": 1, "seed_b": 2, "frames": 4, "method": "slerp", **SIZE,
            **WINDOW, **kw}


def pacing(waveform=None, rate=8000, **kw):
    w = torch.sin(torch.arange(8000.0) / 5.0)[None, None] if waveform is None else waveform
    return {"audio": {"waveform": w, "sample_rate": rate}, "fps": 24.0, "feature": "onsets", "floor": 0.1,
            "decay_frames": 2.0, **kw}


# ---------------------------------------------------------------------------------------------
# checks of defined results (each gets the node's outputs and the node class)


def noise_of(out, latent_dict=None):
    walk_noise, empty = out
    return walk_noise.generate_noise(empty if latent_dict is None else latent_dict)


def two_frame_walk_is_both_seeds(out, node):
    frames = noise_of(out)
    assert frames.shape == (2, 4, 8, 8)
    assert torch.equal(frames[0], noise_ops.seed_noise(1, (4, 8, 8)))
    assert torch.equal(frames[1], noise_ops.seed_noise(2, (4, 8, 8)))


def equal_seeds_stand_still(out, node):
    """Equal endpoints are parallel: slerp falls back to lerp, (1 - t) z + t z = z to float32 rounding."""
    frames = noise_of(out)
    z = noise_ops.seed_noise(7, (4, 8, 8))
    assert torch.equal(frames[0], z) and torch.equal(frames[-1], z)
    assert all(torch.allclose(f, z, rtol=1e-6, atol=1e-6) for f in frames)


def variations_stand_still(out, node):
    """Strength 0: every keyframe is seed 7's noise bit for bit, the frames between it to float32 rounding."""
    frames = noise_of(out)
    z = noise_ops.seed_noise(7, (4, 8, 8))
    assert torch.equal(frames[0], z) and torch.equal(frames[3], z)
    assert all(torch.allclose(f, z, rtol=1e-6, atol=1e-6) for f in frames)


def sixteen_channels_walk_too(out, node):
    frames = noise_of(out, {"samples": torch.zeros(4, 16, 8, 8)})
    assert frames.shape == (4, 16, 8, 8) and finite(frames)
    assert torch.equal(frames[0], noise_ops.seed_noise(1, (16, 8, 8)))


def video_latents_walk_too(out, node):
    frames = noise_of(out, {"samples": torch.zeros(4, 16, 3, 8, 8)})
    assert frames.shape == (4, 16, 3, 8, 8) and torch.equal(frames[-1], noise_ops.seed_noise(2, (16, 3, 8, 8)))


def noise_in_dtype(dtype):
    def check(out, node):
        frames = noise_of(out, {"samples": torch.zeros(4, 4, 8, 8, dtype=dtype)})
        assert frames.dtype == dtype
        assert torch.equal(frames, noise_of(out).to(dtype))
    return check


def noise_does_not_depend_on_the_latents_device(out, node):
    """A latent on another device (here the meta device) gets the same CPU noise, bit for bit."""
    on_meta = noise_of(out, {"samples": torch.zeros(4, 4, 8, 8, device="meta")})
    assert on_meta.device.type == "cpu" and torch.equal(on_meta, noise_of(out))


def latent_floors_odd_sizes(out, node):
    assert out[1]["samples"].shape == (4, 4, 2, 2) and noise_of(out).shape == (4, 4, 2, 2)


def one_image_plays_once(out, node):
    (images,) = out
    assert images.shape == (1, 8, 8, 3) and bool((images == 0.5).all())


def unsorted_schedule_is_sorted(out, node):
    conditioning, empty = out
    sorted_out = node.execute(**travel(schedule="0: a dog\n3: a cat")).args[0]
    assert torch.equal(conditioning[0][0], sorted_out[0][0])
    assert torch.equal(conditioning[0][1]["pooled_output"], sorted_out[0][1]["pooled_output"])
    assert empty["samples"].shape[0] == 4


def long_prompt_is_padded_by_repeating(out, node):
    conditioning, _ = out
    walked = conditioning[0][0]
    assert walked.shape == (4, 154, 768) and finite(walked)
    assert torch.equal(walked[0], cond(seed=1)[0][0][0].repeat(2, 1))


def zero_padding_to_the_longest(out, node):
    walked = out[0][0][0]
    assert walked.shape == (4, 100, 768) and finite(walked)
    assert bool((walked[0, 77:] == 0).all())


def finite_conditioning_with_exact_ends(a, b, dtype=torch.float32):
    def check(out, node):
        walked = out[0][0][0]
        assert walked.dtype == dtype and finite(walked)
        assert torch.equal(walked[0], a[0][0][0]) and torch.equal(walked[-1], b[0][0][0])
    return check


ZERO = cond(fill=0.0)
A, MINUS_A = cond(seed=3), [[-cond(seed=3)[0][0], {"pooled_output": -cond(seed=3)[0][1]["pooled_output"]}]]
A16, B16 = cond(seed=4, pooled=None, dtype=torch.float16), cond(seed=5, pooled=None, dtype=torch.float16)
ABF, BBF = cond(seed=4, pooled=None, dtype=torch.bfloat16), cond(seed=5, pooled=None, dtype=torch.bfloat16)


def circle_of_zero_stays_zero(out, node):
    walked = out[0][0][0]
    assert walked.shape == (4, 77, 768) and bool((walked == 0).all())


def scores_are_clip_scores(out, node):
    """Every frame's score is max(100 cos, 0) against the prompt's pooled embedding; the mean is InterpScore."""
    figures = json.loads(out[0])["walk"]
    scorer = FakeScorer()
    _, text = scorer.encode_from_tokens("a cat", return_pooled=True)
    image = torch.ones(768, dtype=torch.float64)  # FakeScorer's embeddings all point along (1, ..., 1)
    cos = float(text.double().reshape(-1) @ image / (text.double().norm() * image.norm()))
    assert figures["clip_score"] == pytest.approx([max(100 * cos, 0.0)] * 3)
    assert out[3] == pytest.approx(figures["interp_score"]) and figures["interp_score"] == pytest.approx(
        max(100 * cos, 0.0))


def pan_frames(shape, dtype=torch.float32, first=None, last=None):
    def check(out, node):
        frames = out[0]["samples"]
        assert tuple(frames.shape) == shape and frames.dtype == dtype and finite(frames)
        if first is not None:
            assert torch.equal(frames[0], first["samples"][0])
        if last is not None:
            assert torch.equal(frames[-1], last["samples"][-1])
    return check


Z2 = latent(2, 4, 8, 8, seed=11)
Z16 = latent(2, 4, 8, 8, seed=12, dtype=torch.float16)
ZBF = latent(2, 4, 8, 8, seed=13, dtype=torch.bfloat16)


def zeros_pan_to_zeros(out, node):
    frames = out[0]["samples"]
    assert frames.shape == (9, 4, 8, 8) and bool((frames == 0).all())


def metrics_of_a_still_walk(out, node):
    text, chart, cv, score = out
    assert cv == 0.0 and score == 0.0 and '"step_mean": 0.0' in text and finite(chart)


def silent_audio_paces_linearly(out, node):
    warp, frames = out
    assert frames == 24
    times = warp.frame_times(frames)
    assert torch.allclose(times, torch.linspace(0, 1, 24, dtype=torch.float64))




# (row id, node id, inputs, expected): expected is a regex of the ValueError or a check
CATALOGUE = [
    # seed walk: frame counts, windows, combos, seeds, latents the sampler hands its noise
    ("seed walk, frames 0", "MeanderSeedWalk", lambda: seed_walk(frames=0),
     r"^frames must be >= 2 for a walk from one seed to another, got 0$"),
    ("seed walk, frames 1", "MeanderSeedWalk", lambda: seed_walk(frames=1),
     r"^frames must be >= 2 for a walk from one seed to another, got 1$"),
    ("seed walk, frames 2", "MeanderSeedWalk", lambda: seed_walk(frames=2), two_frame_walk_is_both_seeds),
    ("seed walk, frames too many for memory", "MeanderSeedWalk", lambda: seed_walk(frames=100000, **HUGE),
     r"^frames: 100000 frames of 16384x16384 walk noise and latents need about 48\.8 TiB \(512\.0 MiB per frame\) "
     r"but only .* of memory is free: render the walk in windows with start_frame and frame_count \(at most about "
     r"\d+ frames each\), or lower the width and height$"),
    ("seed walk, window too big for memory", "MeanderSeedWalk",
     lambda: seed_walk(frames=100000, **HUGE, start_frame=10, frame_count=50000),
     r"^frame_count: 50000 frames of 16384x16384 .* need about 24\.4 TiB"),
    ("seed walk, start past the end", "MeanderSeedWalk", lambda: seed_walk(start_frame=4),
     r"^start_frame must be in 0\.\.3 for a walk of 4 frames, got 4$"),
    ("seed walk, window past the end", "MeanderSeedWalk", lambda: seed_walk(start_frame=2, frame_count=4),
     r"^start_frame \+ frame_count = 6 is past the end of the walk \(4 frames\): lower frame_count to at most 2 "
     r"or set it to 0 for the rest$"),
    ("seed walk, negative frame_count", "MeanderSeedWalk", lambda: seed_walk(frame_count=-1),
     r"^frame_count must be >= 0 \(0 = to the end of the walk\), got -1$"),
    ("seed walk, unknown method", "MeanderSeedWalk", lambda: seed_walk(method="spline"),
     r"^method must be one of slerp, nlerp, lerp, got 'spline'$"),
    ("seed walk, unknown easing", "MeanderSeedWalk", lambda: seed_walk(easing="bounce"),
     r"^easing must be one of linear, smoothstep, cosine, ease_in, ease_out, got 'bounce'$"),
    ("seed walk, equal seeds", "MeanderSeedWalk", lambda: seed_walk(seed_a=7, seed_b=7), equal_seeds_stand_still),
    ("seed walk, 16-channel latent (SD3/Flux)", "MeanderSeedWalk", seed_walk, sixteen_channels_walk_too),
    ("seed walk, video latent (B x C x T x H x W)", "MeanderSeedWalk", seed_walk, video_latents_walk_too),
    ("seed walk, fp16 latent", "MeanderSeedWalk", seed_walk, noise_in_dtype(torch.float16)),
    ("seed walk, bf16 latent", "MeanderSeedWalk", seed_walk, noise_in_dtype(torch.bfloat16)),
    ("seed walk, latent on another device", "MeanderSeedWalk", seed_walk, noise_does_not_depend_on_the_latents_device),
    ("seed walk, size not a multiple of 8", "MeanderSeedWalk", lambda: seed_walk(width=20, height=23),
     latent_floors_odd_sizes),
    # seed lists
    ("chain, empty seed list", "MeanderSeedChainWalk", lambda: chain(seeds=""),
     r"^seeds must list at least 2 seeds separated by commas \(e\.g\. '1337, 42, 7'\), got ''$"),
    ("chain, separators only", "MeanderSeedChainWalk", lambda: chain(seeds=" ,; "),
     r"^seeds must list at least 2 seeds"),
    ("chain, one seed", "MeanderSeedChainWalk", lambda: chain(seeds="1337"), r"^seeds must list at least 2 seeds"),
    ("chain, negative seed", "MeanderSeedChainWalk", lambda: chain(seeds="1, -2"),
     r"^seeds: entry 2 \('-2'\) is not a whole number; write seeds like '1337, 42, 7'$"),
    ("chain, decimal seed", "MeanderSeedChainWalk", lambda: chain(seeds="1, 2.5"),
     r"^seeds: entry 2 \('2\.5'\) is not a whole number"),
    ("chain, hex seed", "MeanderSeedChainWalk", lambda: chain(seeds="0x10, 1"),
     r"^seeds: entry 1 \('0x10'\) is not a whole number"),
    ("chain, seed above 2^64 - 1", "MeanderSeedChainWalk", lambda: chain(seeds="1, 18446744073709551616"),
     r"^seeds: entry 2 \(18446744073709551616\) is above the largest seed 18446744073709551615$"),
    ("chain, 5000-digit seed", "MeanderSeedChainWalk", lambda: chain(seeds="1, " + "9" * 5000),
     r"^seeds: entry 2 \(9{24}\.\.\.\) has 5000 digits, above the largest seed 18446744073709551615$"),
    ("chain, repeated seed", "MeanderSeedChainWalk", lambda: chain(seeds="7; 7", frames_per_segment=3),
     equal_seeds_stand_still),
    ("chain, frames_per_segment 0", "MeanderSeedChainWalk", lambda: chain(frames_per_segment=0),
     r"^frames_per_segment must be >= 1, got 0$"),
    ("chain, too many frames for memory", "MeanderSeedChainWalk",
     lambda: chain(seeds="1, 2, 3, 4, 5", frames_per_segment=100000, width=4096, height=4096),
     r"^frames_per_segment: 400001 frames of 4096x4096 walk noise and latents need about 12\.2 TiB"),
    # seed variations
    ("variations, strength above 1", "MeanderSeedVariations", lambda: variations(strength=1.5),
     r"^strength must be in 0\.\.1 \(0 = the seed's own image, 1 = the variation seeds' images\), got 1\.5$"),
    ("variations, NaN strength", "MeanderSeedVariations", lambda: variations(strength=NAN),
     r"^strength must be in 0\.\.1 .*, got nan$"),
    ("variations, one variation seed", "MeanderSeedVariations", lambda: variations(variation_seeds="4"),
     r"^variation_seeds must list at least 2 seeds separated by commas"),
    ("variations, frames_per_variation 0", "MeanderSeedVariations", lambda: variations(frames_per_variation=0),
     r"^frames_per_variation must be >= 1, got 0$"),
    ("variations, strength 0 stands still on the seed", "MeanderSeedVariations",
     lambda: variations(seed=7, strength=0.0), variations_stand_still),
    # circular loop
    ("figure eight, frames 3", "MeanderFigureEightLoop", lambda: eight(frames=3),
     r"^frames must be >= 4 for a figure eight \(its crossing, two lobes and the way back\), got 3$"),
    ("figure eight, seed_y = seed_x", "MeanderFigureEightLoop", lambda: eight(seed_y=1),
     r"^seed_y must differ from seed_x \(both are 1\): the lobes need a second direction$"),
    ("figure eight, seed_z = seed_y", "MeanderFigureEightLoop", lambda: eight(seed_z=2),
     r"^seed_z must differ from seed_x and seed_y \(got 2\): the lobes' width needs a third direction$"),
    ("figure eight, too many frames for memory", "MeanderFigureEightLoop", lambda: eight(frames=100000, **HUGE),
     r"^frames: 100000 frames of 16384x16384 walk noise and latents need about 48\.8 TiB"),
    ("latent walk, frames_per_segment 0", "MeanderLatentWalk", lambda: latent_walk(frames_per_segment=0),
     r"^frames_per_segment must be >= 1"),
    ("latent walk, keyframe batch of 2", "MeanderLatentWalk",
     lambda: latent_walk(latent_b=latent(2, 4, 8, 8)),
     r"^latent_b has a batch of 2: each keyframe is one latent; pick one with LatentFromBatch$"),
    ("latent walk, d without c", "MeanderLatentWalk", lambda: latent_walk(latent_d=latent(1, 4, 8, 8)),
     r"^latent_c is unconnected but latent_d is connected: connect the keyframes in order \(a, b, c, d\)$"),
    ("loop, frames 1", "MeanderNoiseLoop", lambda: loop(frames=1), r"^frames must be >= 2 for a loop, got 1$"),
    ("loop, equal seeds", "MeanderNoiseLoop", lambda: loop(seed_y=1),
     r"^seed_y must differ from seed_x \(both are 1\): the loop needs two directions$"),
    ("loop, NaN radius", "MeanderNoiseLoop", lambda: loop(radius=NAN),
     r"^radius must be in 0\.\.1 \(1 = a loop through seed_x's image\), got nan$"),
    ("loop, centre on the circle", "MeanderNoiseLoop", lambda: loop(radius=0.5, centre_seed=1),
     r"^centre_seed must differ from seed_x and seed_y \(got 1\) when radius < 1$"),
    # ping-pong
    ("ping-pong, empty batch", "MeanderPingPong", lambda: {"images": torch.zeros(0, 8, 8, 3)},
     r"^images is an empty batch: connect the decoded frames of a walk \(VAE Decode\)$"),
    ("ping-pong, one frame", "MeanderPingPong", lambda: {"images": torch.full((1, 8, 8, 3), 0.5)},
     one_image_plays_once),
    ("ping-pong, NaN images", "MeanderPingPong", lambda: {"images": torch.full((3, 8, 8, 3), NAN)},
     r"^images holds 576 NaN or infinite values \(of 576\): decode the frames again"),
    ("ping-pong, too many frames for memory", "MeanderPingPong",
     lambda: {"images": torch.zeros(1, 1, 1, 3).expand(50000, 4096, 4096, 3)},
     r"^images: 99998 frames of \(4096, 4096, 3\) images need about 18\.3 TiB"),
    # keyframe schedules
    ("travel, empty schedule", "MeanderPromptTravel", lambda: travel(schedule=""),
     r"^schedule has no keyframes: write one 'frame: prompt' per line"),
    ("travel, comments only", "MeanderPromptTravel", lambda: travel(schedule="# nothing\n\n"),
     r"^schedule has no keyframes"),
    ("travel, line without a frame", "MeanderPromptTravel", lambda: travel(schedule="0: a dog\na cat"),
     r"^schedule line 2 \('a cat'\) is not 'frame: prompt': write one keyframe per line"),
    ("travel, fractional frame", "MeanderPromptTravel", lambda: travel(schedule="0: a\n1.5: b"),
     r"^schedule line 2 \('1\.5: b'\) is not 'frame: prompt'"),
    ("travel, exponent frame", "MeanderPromptTravel", lambda: travel(schedule="0: a\n1e3: b"),
     r"^schedule line 2 \('1e3: b'\) is not 'frame: prompt'"),
    ("travel, negative frame", "MeanderPromptTravel", lambda: travel(schedule="-1: a\n3: b"),
     r"^schedule line 1: keyframe frames must be >= 0, got -1$"),
    ("travel, duplicate keyframe", "MeanderPromptTravel", lambda: travel(schedule="0: a\n0: b"),
     r"^schedule line 2: frame 0 has two keyframes: keep one prompt per frame$"),
    ("travel, unsorted keyframes", "MeanderPromptTravel", lambda: travel(schedule="3: a cat\n0: a dog"),
     unsorted_schedule_is_sorted),
    ("travel, keyframe past the longest walk", "MeanderPromptTravel", lambda: travel(schedule="0: a\n100000: b"),
     r"^schedule: keyframe at frame 100000 is past the longest walk \(100000 frames, 0\.\.99999\)"),
    ("travel, 30-digit keyframe", "MeanderPromptTravel", lambda: travel(schedule="0: a\n" + "9" * 30 + ": b"),
     r"^schedule line 2: frame 9{12}\.\.\. is not a frame number \(too many digits\)"),
    ("video travel, keyframe past the video", "MeanderVideoConditioningTravel",
     lambda: video_travel(keyframe_frames="0, 40"),
     on_newest(r"keyframe_frames: the keyframe at video frame 40 is past the video's end: its 9 latent frames are 33 "
               r"video frames \(0\.\.32\) at 4 per latent frame")),
    ("video travel, frames for 1 of 2 keyframes", "MeanderVideoConditioningTravel",
     lambda: video_travel(keyframe_frames="0"), on_newest("keyframe_frames lists 1 frame but 2 conditionings")),
    ("video travel, keyframes out of order", "MeanderVideoConditioningTravel",
     lambda: video_travel(keyframe_frames="16, 0"), on_newest("keyframe_frames must be strictly increasing")),
    ("video travel, an image latent", "MeanderVideoConditioningTravel",
     lambda: video_travel(video_latent=latent(1, 4, 8, 8)),
     on_newest(r"video_latent has shape \(1, 4, 8, 8\): connect the video model's empty latent")),
    ("video travel, a batch of 2 videos", "MeanderVideoConditioningTravel",
     lambda: video_travel(video_latent=latent(2, 16, 9, 8, 8)), on_newest("video_latent has a batch of 2")),
    ("video travel, conditionings of different encoders", "MeanderVideoConditioningTravel",
     lambda: video_travel(conditioning_2=cond(width=4096, pooled=None)),
     on_newest("conditioning_2 has 4096 channels per token but conditioning_1 has 768")),
    ("video prompts, empty schedule", "MeanderVideoPromptTravel", lambda: video_prompts(schedule=" "),
     on_newest("schedule has no keyframes: write one 'frame: prompt' per line")),
    ("video prompts, keyframe past the video", "MeanderVideoPromptTravel",
     lambda: video_prompts(schedule="0: a\n33: b"),
     on_newest("schedule: the keyframe at video frame 33 is past the video's end")),
    ("travel, keyframe past frames", "MeanderPromptTravel", lambda: travel(frames=3),
     r"^keyframe at frame 3 is past the end of the walk \(3 frames\): raise frames to at least 4"),
    ("travel, loop without frames after the last keyframe", "MeanderPromptTravel", lambda: travel(loop=True),
     r"^frames must be more than the last keyframe \(3\) for a loop"),
    ("travel, no text encoder", "MeanderPromptTravel", lambda: travel(clip=None),
     r"^clip is None: the checkpoint has no text encoder; connect a CLIP loader's output$"),
    ("travel, too many frames for memory", "MeanderPromptTravel",
     lambda: travel(schedule="0: a\n99999: b", **HUGE),
     r"^frames: 100000 frames of 59904-value conditioning and 16384x16384 latents need about 6\.2 TiB"),
    # conditionings from different models, broken or extreme embeddings
    ("conditioning, 768 vs 2048 wide", "MeanderConditioningTravel",
     lambda: ctravel(b=cond(width=2048, pooled=1280)),
     r"^conditioning_2 has 2048 channels per token but conditioning_1 has 768: encode every keyframe with the same "
     r"CLIP$"),
    ("conditioning, pooled output on one only", "MeanderConditioningTravel", lambda: ctravel(b=cond(pooled=None)),
     r"^conditioning_2 and conditioning_1 differ in having a pooled_output: encode every keyframe"),
    ("conditioning, pooled 768 vs 1280", "MeanderConditioningTravel", lambda: ctravel(b=cond(pooled=1280)),
     r"^conditioning_2 has a pooled_output of shape \(1, 1280\) but conditioning_1 has \(1, 768\): encode every "
     r"keyframe with the same CLIP$"),
    ("conditioning, 77 vs 154 tokens", "MeanderConditioningTravel", lambda: ctravel(b=cond(tokens=154, seed=2)),
     long_prompt_is_padded_by_repeating),
    ("conditioning, 77 vs 100 tokens repeated", "MeanderConditioningTravel", lambda: ctravel(b=cond(tokens=100)),
     r"^pad: token lengths \[77, 100\] repeat to a common length of 7700 tokens \(more than 16 x the longest\): "
     r"use pad = zeros"),
    ("conditioning, 77 vs 100 tokens zero-padded", "MeanderConditioningTravel",
     lambda: ctravel(b=cond(tokens=100), pad="zeros"), zero_padding_to_the_longest),
    ("conditioning, empty list", "MeanderConditioningTravel", lambda: ctravel(a=[]),
     r"^conditioning_1 is empty: connect a text encoder's CONDITIONING$"),
    ("conditioning, a bare tensor", "MeanderConditioningTravel", lambda: ctravel(a=torch.zeros(1, 77, 768)),
     r"^conditioning_1 is a Tensor, not a CONDITIONING \(a list of \[embedding, extras\] pairs\)"),
    ("conditioning, entry without extras", "MeanderConditioningTravel",
     lambda: ctravel(b=[[torch.zeros(1, 77, 768)]]),
     r"^conditioning_2 is not a CONDITIONING: each entry must be \[embedding tensor, extras dict\]"),
    ("conditioning, batch of 2", "MeanderConditioningTravel",
     lambda: ctravel(a=[[torch.zeros(2, 77, 768), {"pooled_output": torch.zeros(2, 768)}]]),
     r"^conditioning_1 holds a batch of 2 conditionings; a prompt walk takes one per keyframe"),
    ("conditioning, NaN embedding", "MeanderConditioningTravel", lambda: ctravel(a=cond(fill=NAN)),
     r"^conditioning_1 holds 59136 NaN or infinite values \(of 59136\): encode the prompt again"),
    ("conditioning, inf pooled output", "MeanderConditioningTravel",
     lambda: ctravel(b=[[cond()[0][0], {"pooled_output": torch.full((1, 768), INF)}]]),
     r"^conditioning_2's pooled_output holds 768 NaN or infinite values"),
    ("conditioning, zero embedding", "MeanderConditioningTravel", lambda: ctravel(a=ZERO, b=A),
     finite_conditioning_with_exact_ends(ZERO, A)),
    ("conditioning, opposite embeddings", "MeanderConditioningTravel", lambda: ctravel(a=A, b=MINUS_A),
     finite_conditioning_with_exact_ends(A, MINUS_A)),
    ("conditioning, fp16", "MeanderConditioningTravel", lambda: ctravel(a=A16, b=B16),
     finite_conditioning_with_exact_ends(A16, B16, torch.float16)),
    ("conditioning, bf16", "MeanderConditioningTravel", lambda: ctravel(a=ABF, b=BBF),
     finite_conditioning_with_exact_ends(ABF, BBF, torch.bfloat16)),
    ("conditioning, window past the end", "MeanderConditioningTravel", lambda: ctravel(start_frame=3, frame_count=2),
     r"^start_frame \+ frame_count = 5 is past the end of the walk \(4 frames\)"),
    ("drift, frames 0", "MeanderPromptDrift", lambda: drift(frames=0),
     r"^frames must be >= 1 \(frame 0 is the prompt's own image\), got 0$"),
    ("drift, NaN step", "MeanderPromptDrift", lambda: drift(step=NAN), r"^step must be a finite number, got nan$"),
    ("drift, NaN conditioning", "MeanderPromptDrift", lambda: drift(conditioning=cond(fill=NAN)),
     r"^conditioning holds 59136 NaN or infinite values"),
    ("drift, too many frames for memory", "MeanderPromptDrift",
     lambda: drift(frames=100000, conditioning=cond(tokens=77 * 30)),
     r"^frames: 100000 frames of 1774848-value conditioning and 64x64 latents need about 3\.9 TiB"),
    ("circle, infinite radius", "MeanderPromptCircle", lambda: circle(radius=INF),
     r"^radius must be a finite number >= 0, got inf$"),
    ("circle, zero embedding", "MeanderPromptCircle", lambda: circle(conditioning=cond(fill=0.0)),
     circle_of_zero_stays_zero),
    # latent pans: shapes, channels, batches, strides, dtypes
    ("pan, one latent", "MeanderLatentPan", lambda: pan(latent(1, 4, 8, 8)),
     r"^an open pan needs at least 2 latents to travel across, got 1: add latents"),
    ("pan, empty batch", "MeanderLatentPan", lambda: pan(latent(0, 4, 8, 8)),
     r"^an open pan needs at least 2 latents to travel across, got 0"),
    ("pan, different widths", "MeanderLatentPan", lambda: pan(latent(1, 4, 8, 8), latents_2=latent(1, 4, 8, 16)),
     r"^latents_2 has latents of shape \(4, 8, 16\) but latents has \(4, 8, 8\) .* they are never resized$"),
    ("pan, different channels", "MeanderLatentPan", lambda: pan(latent(1, 4, 8, 8), latents_2=latent(1, 16, 8, 8)),
     r"^latents_2 has latents of shape \(16, 8, 8\) but latents has \(4, 8, 8\)"),
    ("pan, batches of 3 and 1", "MeanderLatentPan",
     lambda: pan(latent(3, 4, 8, 8, seed=1), latents_2=latent(1, 4, 8, 8, seed=2)),
     pan_frames((25, 4, 8, 8), first=latent(3, 4, 8, 8, seed=1), last=latent(1, 4, 8, 8, seed=2))),
    ("pan, latents without a batch", "MeanderLatentPan", lambda: pan(latent(4, 8, 8)),
     r"^latents must be a batch of image or video latents \(B x C x H x W\), got \(4, 8, 8\)$"),
    ("pan, NaN latents", "MeanderLatentPan", lambda: pan(latent(2, 4, 8, 8, fill=NAN)),
     r"^latents holds 512 NaN or infinite values \(of 512\): connect latents from a sampler"),
    ("pan, inf in latents_2", "MeanderLatentPan", lambda: pan(latents_2=latent(1, 4, 8, 8, fill=-INF)),
     r"^latents_2 holds 256 NaN or infinite values"),
    ("pan, zero latents", "MeanderLatentPan", lambda: pan(latent(2, 4, 8, 8, fill=0.0)), zeros_pan_to_zeros),
    ("pan, stride that does not divide", "MeanderLatentPan", lambda: pan(Z2, stride=3.0),
     pan_frames((4, 4, 8, 8), first=Z2, last=Z2)),
    ("pan, stride 0", "MeanderLatentPan", lambda: pan(stride=0.0),
     r"^stride must be > 0 latent pixels per frame, got 0\.0$"),
    ("pan, stride inf", "MeanderLatentPan", lambda: pan(stride=INF), r"^stride must be > 0 latent pixels per frame"),
    ("pan, fp16 latents", "MeanderLatentPan", lambda: pan(Z16, stride=0.5, subpixel="nlerp"),
     pan_frames((17, 4, 8, 8), torch.float16, first=Z16, last=Z16)),
    ("pan, bf16 latents", "MeanderLatentPan", lambda: pan(ZBF, stride=0.5, subpixel="lerp"),
     pan_frames((17, 4, 8, 8), torch.bfloat16, first=ZBF, last=ZBF)),
    ("pan, fp16 then fp32 latents", "MeanderLatentPan",
     lambda: pan(latent(1, 4, 8, 8, dtype=torch.float16), latents_2=latent(1, 4, 8, 8)),
     pan_frames((9, 4, 8, 8), torch.float16)),
    ("pan, video latents", "MeanderLatentPan", lambda: pan(latent(2, 16, 3, 8, 8)), pan_frames((9, 16, 3, 8, 8))),
    ("pan, window past the end", "MeanderLatentPan", lambda: pan(start_frame=9),
     r"^start_frame must be in 0\.\.8 for a walk of 9 frames, got 9$"),
    ("pan, too many frames for memory", "MeanderLatentPan", lambda: pan(latent(2, 4, 256, 256), stride=0.01),
     r"^stride: 25601 frames of \(4, 256, 256\) latents need about 100\.0 GiB .* or lower the latents' size or "
     r"raise stride$"),
    ("pan, unknown subpixel", "MeanderLatentPan", lambda: pan(subpixel="cubic"),
     r"^subpixel must be one of round, lerp, nlerp, got 'cubic'$"),
    ("noise pan, no seeds", "MeanderNoisePan", lambda: noise_pan(seeds=""),
     r"^seeds must list at least 1 seed separated by commas"),
    ("noise pan, one seed, open", "MeanderNoisePan", lambda: noise_pan(seeds="5"),
     r"^an open pan needs at least 2 latents to travel across, got 1: add latents .* or turn loop on$"),
    ("noise pan, unknown axis", "MeanderNoisePan", lambda: noise_pan(axis="depth"),
     r"^axis must be one of width, height, got 'depth'$"),
    # analysis, timing, audio
    ("metrics, nothing connected", "MeanderWalkMetrics", dict,
     r"^connect the walk's frames to images \(decoded\) or latent$"),
    ("metrics, one frame", "MeanderWalkMetrics", lambda: {"images": torch.zeros(1, 8, 8, 3)},
     r"^walk has 1 frame: a walk needs at least 2 frames to measure$"),
    ("metrics, NaN images", "MeanderWalkMetrics", lambda: {"images": torch.full((3, 8, 8, 3), NAN)},
     r"^walk images holds 576 NaN or infinite values"),
    ("metrics, a still walk", "MeanderWalkMetrics", lambda: {"images": torch.zeros(3, 8, 8, 3)},
     metrics_of_a_still_walk),
    ("metrics, InterpScore without its text encoder", "MeanderWalkMetrics",
     lambda: {"images": torch.rand(3, 8, 8, 3), "clip_vision": FakeScorer(), "score_prompt": "a cat"},
     r"^InterpScore needs clip_vision, clip and score_prompt together; clip missing"),
    ("metrics, InterpScore of latents", "MeanderWalkMetrics",
     lambda: {"latent": latent(3, 4, 8, 8), "clip_vision": FakeScorer(), "clip": FakeScorer(), "score_prompt": "a"},
     r"^InterpScore scores decoded frames: connect images \(and compare_images\), not latents$"),
    ("metrics, InterpScore with CLIPs of two sizes", "MeanderWalkMetrics",
     lambda: {"images": torch.rand(3, 8, 8, 3), "clip_vision": FakeScorer(1024), "clip": FakeScorer(),
              "score_prompt": "a cat"},
     r"^the image embeddings are 1024 wide and the text embedding 768: use a CLIP vision model and a text encoder "
     r"of the same CLIP$"),
    ("metrics, InterpScore of frames the same way as the prompt", "MeanderWalkMetrics",
     lambda: {"images": torch.rand(3, 8, 8, 3), "clip_vision": FakeScorer(), "clip": FakeScorer(),
              "score_prompt": "a cat"}, scores_are_clip_scores),
    ("trajectory, NaN latents", "MeanderTrajectoryPlot",
     lambda: {"walk_1": latent(3, 4, 8, 8, fill=NAN), "labels": ""}, r"^walk_1 latent holds 768 NaN or infinite"),
    ("trajectory, walks of different sizes", "MeanderTrajectoryPlot",
     lambda: {"walk_1": latent(3, 4, 8, 8), "walk_2": latent(3, 4, 8, 16), "labels": "a, b"},
     r"^walk_2 has frames of shape \(4, 8, 16\) but walk_1 has \(4, 8, 8\)"),
    ("re-timing, NaN render", "MeanderEvenRetime",
     lambda: {"strength": 1.0, "images": torch.full((3, 8, 8, 3), NAN)}, r"^coarse render images holds 576 NaN"),
    ("re-timing, one frame", "MeanderEvenRetime", lambda: {"strength": 1.0, "images": torch.zeros(1, 8, 8, 3)},
     r"^the coarse render has 1 frame: render at least 2"),
    ("timed walk, frames 1", "MeanderTimedSeedWalk", lambda: timed(frames=1),
     r"^frames must be >= 2 for an open walk, got 1$"),
    ("timed walk, unknown method", "MeanderTimedSeedWalk", lambda: timed(method="cubic"),
     r"^method must be one of slerp, nlerp, lerp, got 'cubic'$"),
    ("audio, sample rate 0", "MeanderAudioPacing", lambda: pacing(rate=0),
     r"^audio has a sample_rate of 0: load the audio with LoadAudio"),
    ("audio, NaN samples", "MeanderAudioPacing", lambda: pacing(torch.full((1, 1, 8000), NAN)),
     r"^audio holds 8000 NaN or infinite values \(of 8000\): the waveform is damaged"),
    ("audio, too short", "MeanderAudioPacing", lambda: pacing(torch.zeros(1, 1, 100)),
     r"^audio is 0\.01\d s: at 24\.0 fps that is 1 frame; a paced walk needs at least 2"),
    ("audio, silence", "MeanderAudioPacing", lambda: pacing(torch.zeros(1, 2, 8000), feature="energy"),
     silent_audio_paces_linearly),
    ("fast render, unknown mode", "MeanderFastRender", lambda: {"model": None, "mode": "turbo"},
     r"^mode must be one of compile, compile \+ CUDA graphs, off, got 'turbo'$"),
]


NOT_IN_CATALOGUE = {
    "MeanderImageWalk": "needs a model to invert with: its bad inputs are tests/in_comfyui/test_image_walks.py's",
    "MeanderClipLoop": "its seeds are checked as the Circular Noise Loop's, its latent in test_video_latents.py",
    "MeanderNoisyLatent": "its model is checked in tests/in_comfyui/test_noise_walks.py and test_families.py",
    "MeanderClickTrack": "takes a time warp; its length is checked in tests/in_comfyui/test_analysis.py",
    "MeanderVideoSegment": "its faults are tests/in_comfyui/test_render_faults.py's and test_segmented.py's",
    "MeanderWalkSampler": "its bad inputs are tests/in_comfyui/test_walk_sampler.py's",
}
"""Nodes whose bad inputs are tested elsewhere, and where."""


def test_the_catalogue_covers_every_node_and_30_inputs(comfy):
    """Every node of the pack's node list has rows here, but those NOT_IN_CATALOGUE names."""
    assert len(CATALOGUE) >= 30
    assert len({row[0] for row in CATALOGUE}) == len(CATALOGUE)
    package = host.node_classes()["MeanderSeedWalk"].__module__.rsplit(".", 1)[0]
    nodes = {node.GET_SCHEMA().node_id for node in sys.modules[package].NODES}
    assert NOT_IN_CATALOGUE.keys() <= nodes
    assert {row[1] for row in CATALOGUE} == nodes - NOT_IN_CATALOGUE.keys()


def _unchanged(value) -> object:
    """A deep copy of tensors inside dicts and lists, to check that nodes leave their inputs alone."""
    if isinstance(value, torch.Tensor):
        return value.clone() if value.device.type != "meta" else value
    if isinstance(value, dict):
        return {k: _unchanged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unchanged(v) for v in value]
    return value


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b) or
                                                                           (a.isnan() & b.isnan()).all())
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return True


@pytest.mark.parametrize("row", CATALOGUE, ids=[row[0] for row in CATALOGUE])
def test_bad_or_edge_input(comfy, row):
    _, node_id, make_inputs, expected = row
    node = comfy.node_class(node_id)
    inputs = make_inputs()
    before = {k: _unchanged(v) for k, v in inputs.items() if not (isinstance(v, torch.Tensor) and v.stride()[0] == 0)}
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            node.execute(**inputs)
    else:
        out = node.execute(**inputs).args
        expected(out, node)
        for value in out:
            if isinstance(value, dict) and "samples" in value:
                assert finite(value["samples"]), "a node made NaN or inf frames"
    for key, value in before.items():
        assert _same(value, inputs[key]), f"{node_id} changed its input {key}"


# ---------------------------------------------------------------------------------------------
# the memory estimate itself


def test_memory_check_compares_the_estimate_with_the_free_memory(comfy):
    validate = host.pack_module("validate")
    validate.check_memory("frames", 10, 1024, "tiny frames", free=10 * 1024)  # fits exactly: no error
    with pytest.raises(ValueError, match=re.escape(
            "frames: 11 frames of tiny frames need about 11.0 KiB (1.0 KiB per frame) but only 10.0 KiB of memory "
            "is free: render the walk in windows with start_frame and frame_count (at most about 5 frames each), "
            "or lower the width and height")):
        validate.check_memory("frames", 11, 1024, "tiny frames", free=10 * 1024)


def test_noise_walk_estimate_is_32_bytes_per_latent_value(comfy):
    validate = host.pack_module("validate")
    assert validate.latent_values(512, 512) == 4 * 64 * 64
    with pytest.raises(ValueError, match=r"^frames: 48 frames of 512x512 walk noise and latents need about 24\.0 MiB "
                                         r"\(512\.0 KiB per frame\)"):
        validate.check_memory("frames", 48, validate.NOISE_WALK_BYTES_PER_VALUE * validate.latent_values(512, 512),
                              "512x512 walk noise and latents", free=1024)


def test_a_common_walk_fits(comfy):
    """A 10 s walk at 512x512 (240 frames) is far below the refusal on any machine that runs ComfyUI."""
    walk_noise, empty = comfy.node_class("MeanderSeedWalk").execute(**seed_walk(frames=240, width=512,
                                                                                height=512)).args
    assert walk_noise.count == 240 and empty["samples"].shape == (240, 4, 64, 64)


# ---------------------------------------------------------------------------------------------
# the text parsers through their nodes: only the documented ValueError, whatever the text

SCHEDULE_TEXT = st.lists(
    st.one_of(
        st.from_regex(r"\A\s*-?\d{1,7}\s*:\s*[a-z ]{0,12}\Z"),
        st.from_regex(r'\A"\d{1,4}"\s*:\s*"[a-z ]{0,8}",?\Z'),
        st.text(alphabet=st.sampled_from(list("0123456789:-#\"' ,.e\t{}abc\u0663\u00b2")), max_size=16),
        st.text(max_size=12),
    ),
    max_size=5,
).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=SCHEDULE_TEXT, frames=st.integers(0, 40), loop_on=st.booleans())
def test_prompt_travel_schedules_fail_only_with_a_clear_value_error(comfy, text, frames, loop_on):
    node = comfy.node_class("MeanderPromptTravel")
    try:
        conditioning, empty = node.execute(**travel(clip=FakeClip(tokens=2, width=4), schedule=text, frames=frames,
                                                    loop=loop_on, width=16, height=16)).args
    except ValueError as e:
        assert re.match(r"^(schedule|keyframe|frames|start_frame|frame_count)", str(e)), str(e)
        return
    assert conditioning[0][0].shape[0] == empty["samples"].shape[0] >= 1
    assert finite(conditioning[0][0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(alphabet=st.sampled_from(list("0123456789 ,;-+.xe\t\n\u0663\u00b2")), max_size=40),
                      st.text(max_size=20)),
       node_id=st.sampled_from(["MeanderSeedChainWalk", "MeanderNoisePan"]))
def test_seed_lists_fail_only_with_a_clear_value_error(comfy, text, node_id):
    inputs = chain(seeds=text, width=16, height=16) if node_id == "MeanderSeedChainWalk" else \
        noise_pan(seeds=text, loop=True, width=16, height=16)
    try:
        walk_noise, empty = comfy.node_class(node_id).execute(**inputs).args
    except ValueError as e:
        assert str(e).startswith("seeds"), str(e)
        return
    frames = walk_noise.generate_noise(empty)
    assert frames.shape[0] == empty["samples"].shape[0] and finite(frames)
