"""latent_ops.embedding against docs/SPEC.md, "Embedding walks" and "Frame times and easing"."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import embedding, interpolate


def emb(seed: int, tokens: int = 77, dim: int = 32, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(1, tokens, dim, generator=torch.Generator().manual_seed(seed)).to(dtype)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# keyframe schedules


def test_parse_keyframes_sorts_and_accepts_fizznodes_lines():
    text = '\n# travel\n"12": "a cat: sitting",\n0: a dog\n  5 :  an owl  \n'
    assert embedding.parse_keyframes(text) == [(0, "a dog"), (5, "an owl"), (12, "a cat: sitting")]


@pytest.mark.parametrize("text, message", [
    ("0: a\nb", r"schedule line 2 \('b'\) is not 'frame: prompt'"),
    ("0: a\n0: b", r"schedule line 2: frame 0 has two keyframes"),
    ("-3: a", r"keyframe frames must be >= 0, got -3"),
    ("\n  \n", r"schedule has no keyframes"),
])
def test_parse_keyframes_errors_name_the_line_and_the_fix(text, message):
    with pytest.raises(ValueError, match=message):
        embedding.parse_keyframes(text)


def test_keyframe_times_open_walk_holds_before_the_first_and_after_the_last_keyframe():
    i, j, t = embedding.keyframe_times([1, 3], 6)
    assert i.tolist() == [0, 0, 0, 1, 1, 1] and j.tolist() == [0, 1, 1, 1, 1, 1]
    assert t.tolist() == [0.0, 0.0, 0.5, 0.0, 0.0, 0.0]


def test_keyframe_times_closed_walk_wraps_to_the_first_keyframe():
    """Last keyframe at 3, first at 1, N = 6: the wrap segment is frames 3, 4, 5, 0 (length 4)."""
    i, j, t = embedding.keyframe_times([1, 3], 6, closed=True)
    assert i.tolist() == [1, 0, 0, 1, 1, 1] and j.tolist() == [0, 1, 1, 0, 0, 0]
    assert t.tolist() == [0.75, 0.0, 0.5, 0.0, 0.25, 0.5]


@pytest.mark.parametrize("positions, frames, message", [
    ([0, 6], 6, r"keyframe at frame 6 is past the end of the walk \(6 frames, 0..5\): raise frames to at least 7"),
    ([3, 3], 6, r"strictly increasing"),
    ([], 6, r"at least one keyframe"),
])
def test_keyframe_times_errors(positions, frames, message):
    with pytest.raises(ValueError, match=message):
        embedding.keyframe_times(positions, frames)


@settings(max_examples=40, deadline=None)
@given(keys=st.integers(1, 6), per_segment=st.integers(1, 7), closed=st.booleans())
def test_a_chain_emits_no_frame_twice_and_hits_every_keyframe(keys, per_segment, closed):
    """(K - 1) F + 1 frames open, K F closed; keyframe i at frame i F with t = 0."""
    positions, frames = embedding.chain_positions(keys, per_segment, closed)
    assert frames == (keys * per_segment if closed else (keys - 1) * per_segment + 1)
    i, j, t = embedding.keyframe_times(positions, frames, closed)
    for key, p in enumerate(positions):
        assert (int(i[p]), float(t[p])) == (key, 0.0)
    pairs = list(zip(i.tolist(), j.tolist(), t.tolist(), strict=True))
    steady = [(a, b, x) for a, b, x in pairs if a != b]
    assert len(set(steady)) == len(steady)
    assert all(0.0 <= x < 1.0 for x in t.tolist())


# token lengths


def test_repeat_padding_goes_to_the_lcm_and_zero_padding_to_the_longest():
    a, b = emb(1, 77), emb(2, 154)
    pa, pb = embedding.pad_tokens([a, b], "repeat")
    assert pa.shape == pb.shape == (1, 154, 32)
    assert torch.equal(pa[:, :77], a) and torch.equal(pa[:, 77:], a) and torch.equal(pb, b)
    za, zb = embedding.pad_tokens([a, b], "zeros")
    assert torch.equal(za[:, :77], a) and not za[:, 77:].any() and torch.equal(zb, b)
    x, y = embedding.pad_tokens([emb(3, 154), emb(4, 231)], "repeat")
    assert x.shape[1] == y.shape[1] == 462


def test_repeat_padding_keeps_cross_attention():
    """softmax(q K^T) V over [K; K] equals it over K: why a repeat-padded keyframe keeps its image."""
    q = torch.randn(1, 16, 32, generator=gen(0), dtype=torch.float64)
    kv = emb(1, 77).double()
    padded = embedding.pad_tokens([kv, emb(2, 154).double()])[0]
    attend = lambda k: torch.softmax(q @ k.transpose(1, 2) / math.sqrt(32), dim=-1) @ k  # noqa: E731
    assert torch.allclose(attend(padded), attend(kv), atol=1e-12)


# interpolation


@pytest.mark.parametrize("method", embedding.METHODS)
@pytest.mark.parametrize("per", embedding.PER)
def test_keyframes_reproduce_the_input_embeddings_exactly(method, per):
    keys = [emb(1), emb(2), emb(3)]
    walk = embedding.keyframe_walk(keys, [0, 4, 9], 10, method=method, per=per, easing="smoothstep")
    assert walk.shape == (10, 77, 32)
    for frame, key in zip([0, 4, 9], keys, strict=True):
        assert torch.equal(walk[frame], key[0])
    assert bool(torch.isfinite(walk).all())


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    tokens=st.sampled_from([1, 3, 77]),
    method=st.sampled_from(embedding.METHODS),
    per=st.sampled_from(embedding.PER),
    dtype=st.sampled_from([torch.float32, torch.float64, torch.float16, torch.bfloat16]),
    start=st.integers(0, 8),
    count=st.integers(0, 3),
)
def test_any_window_is_the_same_frames_of_the_whole_walk(seed, tokens, method, per, dtype, start, count):
    keys = [emb(seed, tokens, 8, dtype), emb(seed + 1, tokens, 8, dtype), emb(seed + 2, tokens, 8, dtype)]
    count = min(count, 12 - start)
    whole = embedding.keyframe_walk(keys, [0, 5, 11], 12, False, method, per)
    part = embedding.keyframe_walk(keys, [0, 5, 11], 12, False, method, per, start_frame=start, frame_count=count)
    assert part.dtype == dtype
    assert torch.equal(part, whole[start : start + count] if count else whole[start:])


def test_slerp_per_token_row_is_slerp_of_each_row():
    a, b = emb(1, 5), emb(2, 5)
    t = torch.tensor([0.25, 0.5], dtype=torch.float64)
    walk = embedding.interpolate_embeddings(a, b, t, "slerp", "token")
    for r in range(5):
        row = interpolate.slerp(a[:, r], b[:, r], t)
        assert torch.equal(walk[:, r], row)
    whole = embedding.interpolate_embeddings(a, b, t, "slerp", "whole")
    assert torch.equal(whole, interpolate.slerp(a, b, t)) and not torch.allclose(whole, walk)


def test_slerp_per_token_keeps_each_rows_norm_between_equal_norm_keyframes():
    a = emb(1, 4)
    b = emb(2, 4)
    b = b / b.norm(dim=-1, keepdim=True) * a.norm(dim=-1, keepdim=True)
    walk = embedding.interpolate_embeddings(a, b, torch.linspace(0, 1, 7, dtype=torch.float64))
    assert torch.allclose(walk.norm(dim=-1), a.norm(dim=-1).expand(7, 4), rtol=1e-5)


def test_interpolation_of_padded_keyframes_matches_the_padded_tensors():
    """A 77 and a 154 token prompt: after repeat padding, the middle frame is slerp of the padded rows."""
    a, b = embedding.pad_tokens([emb(1, 77), emb(2, 154)])
    walk = embedding.keyframe_walk([a, b], [0, 2], 3)
    assert torch.equal(walk[1], embedding.interpolate_embeddings(a, b, torch.tensor([0.5], dtype=torch.float64))[0])
    half = torch.full((77,), 0.5, dtype=torch.float64)
    assert torch.equal(walk[1, :77], interpolate.slerp(a[0, :77], b[0, :77], half))


def test_pooled_output_walks_alongside_with_the_same_times():
    """A pooled (1, D') keyframe walk uses the frame times of the token walk."""
    pooled = [torch.randn(1, 12, generator=gen(s)) for s in (5, 6)]
    walk = embedding.keyframe_walk(pooled, [0, 3], 4, method="lerp", easing="linear")
    expected = torch.stack([(1 - t) * pooled[0][0] + t * pooled[1][0] for t in (0, 1 / 3, 2 / 3, 1)])
    assert walk.shape == (4, 12) and torch.allclose(walk, expected, atol=1e-6)
    assert torch.equal(walk[0], pooled[0][0]) and torch.equal(walk[3], pooled[1][0])


def test_opposite_and_equal_keyframes_stay_finite():
    a = emb(1)
    walk = embedding.keyframe_walk([a, -a, a.clone()], [0, 3, 6], 7, closed=False)
    assert bool(torch.isfinite(walk).all()) and torch.equal(walk[6], a[0])


# drift and circle


def test_drift_is_e0_plus_k_step_ones():
    e0 = emb(1, dtype=torch.float64)
    walk = embedding.drift_walk(e0, 150, 0.002)
    assert torch.equal(walk[0], e0[0])
    k = torch.arange(150, dtype=torch.float64).reshape(-1, 1, 1)
    assert torch.allclose(walk - e0, (0.002 * k).expand(150, 77, 32))


def test_random_drift_direction_has_unit_rms_and_depends_only_on_the_seed():
    e0 = emb(1)
    a = embedding.drift_walk(e0, 5, 0.1, "random", gen(3))
    b = embedding.drift_walk(e0, 5, 0.1, "random", gen(3), start_frame=2, frame_count=2)
    assert torch.equal(b, a[2:4])
    d = (a[1] - e0[0]).double() / 0.1
    assert abs(float(d.pow(2).mean().sqrt()) - 1.0) < 1e-5
    assert not torch.equal(a, embedding.drift_walk(e0, 5, 0.1, "random", gen(4)))


def test_circle_leaves_the_prompt_at_radius_r_and_closes_the_loop():
    e0 = emb(1, dtype=torch.float64)
    n = 16
    walk = embedding.circle_walk(e0, n, 0.3, gen(7))
    dist = (walk - e0).flatten(1).norm(dim=1)
    assert torch.allclose(dist, torch.full((n,), 0.3, dtype=torch.float64) * e0.norm(), rtol=1e-9)
    steps = (walk.roll(-1, 0) - walk).flatten(1).norm(dim=1)  # includes the seam from frame N - 1 to 0
    assert float(steps.std() / steps.mean()) < 1e-9
    u, v = embedding.orthonormal_pair((77, 32), gen(1))
    assert abs(float((u * v).sum())) < 1e-12 and abs(float(u.norm()) - 1) < 1e-12 and abs(float(v.norm()) - 1) < 1e-12


def test_circle_window_and_errors():
    e0 = emb(2)
    assert torch.equal(embedding.circle_walk(e0, 10, 0.1, gen(1), 7, 3), embedding.circle_walk(e0, 10, 0.1, gen(1))[7:])
    with pytest.raises(ValueError, match="radius must be a finite number >= 0"):
        embedding.circle_walk(e0, 10, -1.0, gen(1))
    with pytest.raises(ValueError, match="past the end of the walk"):
        embedding.drift_walk(e0, 10, 0.1, start_frame=8, frame_count=3)


def test_timeline_regions_are_latent_frames_at_the_models_time_compression():
    """R = T regions, region r at video frame r c; an open walk spans (T - 1) c + 1 frames, a loop T c."""
    at, total = embedding.timeline_frames(9, 4)
    assert at.tolist() == [0, 4, 8, 12, 16, 20, 24, 28, 32] and total == 33
    assert embedding.timeline_frames(9, 4, closed=True)[1] == 36
    assert embedding.timeline_frames(3, 8)[0].tolist() == [0, 8, 16]
    with pytest.raises(ValueError, match="frames_per_latent must be >= 1"):
        embedding.timeline_frames(9, 0)


def test_walk_at_given_frames_is_the_walks_same_frames():
    """keyframe_walk_at picks frames of keyframe_walk's walk: keyframes exact, a loop's last region leads into
    its first as every region into the next."""
    keys = [torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    whole = embedding.keyframe_walk(keys, [0, 10, 20], 36, closed=True, easing="smoothstep")
    at = torch.arange(0, 36, 4)
    picked = embedding.keyframe_walk_at(keys, [0, 10, 20], 36, at, closed=True, easing="smoothstep")
    assert torch.equal(picked, whole[at]) and torch.equal(picked[0], keys[0][0])
    steps = (picked.roll(-1, 0) - picked).flatten(1).norm(dim=1)
    assert steps[-1] <= steps.max()
