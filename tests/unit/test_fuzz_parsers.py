"""Fuzzing the text parsers (seed lists, keyframe schedules): any text gives a valid result or the
documented ValueError, never another exception; plus the edge inputs of latent_ops they lead to."""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latent_ops import embedding, interpolate, noise, schedule

SEED_ERRORS = re.compile(r"^seeds(: entry \d+ | must list at least)")
SCHEDULE_ERRORS = re.compile(r"^schedule (line \d+|has no keyframes)")

SEED_ALPHABET = list("0123456789 ,;\t\n-+.xeE_") + ["\u0663", "\u00b2", "\uff11", "\u00a0"]
SCHEDULE_ALPHABET = list("0123456789:-#\"' ,.\t{}eab\n") + ["\u0663", "\u00b2", "\u2028"]


def text_of(alphabet):
    return st.one_of(st.text(alphabet=st.sampled_from(alphabet), max_size=60), st.text(max_size=40))


@settings(max_examples=400, deadline=None)
@given(text=text_of(SEED_ALPHABET), minimum=st.integers(1, 3))
def test_parse_seeds_returns_valid_seeds_or_the_documented_error(text, minimum):
    try:
        seeds = noise.parse_seeds(text, minimum=minimum)
    except ValueError as e:
        assert SEED_ERRORS.match(str(e)), str(e)
        return
    assert len(seeds) >= minimum and all(0 <= s <= noise.SEED_MAX for s in seeds)


@settings(max_examples=100, deadline=None)
@given(seeds=st.lists(st.integers(0, noise.SEED_MAX), min_size=1, max_size=6),
       sep=st.sampled_from([",", ", ", ";", " ", "\n", " ,; "]))
def test_parse_seeds_reads_back_any_written_list(seeds, sep):
    assert noise.parse_seeds(sep.join(map(str, seeds)), minimum=1) == seeds


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(text_of(SCHEDULE_ALPHABET),
                      st.lists(st.from_regex(r"\A\s*-?\d{1,25}\s*:[^\n]{0,10}\Z"), max_size=4).map("\n".join)),
       extra=st.integers(0, 3), closed=st.booleans())
def test_parse_keyframes_returns_sorted_unique_keyframes_or_the_documented_error(text, extra, closed):
    try:
        keys = embedding.parse_keyframes(text)
    except ValueError as e:
        assert SCHEDULE_ERRORS.match(str(e)), str(e)
        return
    frames = [k for k, _ in keys]
    assert frames == sorted(set(frames)) and frames[0] >= 0 and all("\n" not in p for _, p in keys)
    # the walk the keyframes make: keyframe_times answers any frame count with times or a ValueError
    total = frames[-1] + 1 + extra
    if total > 10_000:
        with pytest.raises(ValueError, match=r"past the end of the walk"):
            embedding.keyframe_times(frames, 10_000, closed)
        return
    i, j, t = embedding.keyframe_times(frames, total, closed)
    assert i.shape == (total,) and bool(((t >= 0) & (t < 1)).all())


@pytest.mark.parametrize(("positions", "frames", "message"), [
    ([0, 2 ** 70], 10, r"past the end of the walk"),  # an int64 overflow before, now the clear error
    ([-(2 ** 70), 0], 10, r"keyframe frames must be >= 0"),
    ([3, 3], 10, r"strictly increasing, got \[3, 3\]"),
    ([5, 1], 10, r"strictly increasing, got \[5, 1\]"),
    ([], 10, r"at least one keyframe"),
    ([0], 0, r"frames must be >= 1, got 0"),
])
def test_keyframe_times_refuses_bad_keyframes_clearly(positions, frames, message):
    with pytest.raises(ValueError, match=message):
        embedding.keyframe_times(positions, frames)


def test_keyframe_numbers_are_limited_before_int_conversion():
    with pytest.raises(ValueError, match=r"^schedule line 1: frame 9{12}\.\.\. is not a frame number"):
        embedding.parse_keyframes("9" * 5000 + ": a dog")


def test_repeat_padding_refuses_a_runaway_common_length_and_zeros_pad_instead():
    a, b = torch.zeros(1, 77, 4), torch.zeros(1, 100, 4)
    with pytest.raises(ValueError, match=r"^pad: token lengths \[77, 100\] repeat to a common length of 7700 tokens"):
        embedding.pad_tokens([a, b], "repeat")
    assert [e.shape[1] for e in embedding.pad_tokens([a, b], "zeros")] == [100, 100]
    assert [e.shape[1] for e in embedding.pad_tokens([a, torch.zeros(1, 154, 4)], "repeat")] == [154, 154]


@pytest.mark.parametrize(("a_batch", "b_batch", "t_shape", "message"), [
    (2, 1, (3,), r"^a must hold 1 or 3 frames \(one per time t\), got shape \(2, 4\)$"),
    (1, 2, (3,), r"^b must hold 1 or 3 frames"),
    (1, 1, (3, 1), r"^t must be a 1D tensor of frame times, got shape \(3, 1\)$"),
])
def test_interpolation_refuses_batches_that_do_not_match_the_times(a_batch, b_batch, t_shape, message):
    with pytest.raises(ValueError, match=message):
        interpolate.slerp(torch.ones(a_batch, 4), torch.ones(b_batch, 4), torch.zeros(t_shape))


def test_per_frame_endpoints_are_accepted():
    """a and b may carry one endpoint per frame (N of them) as well as one for all."""
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    out = interpolate.lerp(a, b, torch.tensor([0.0, 0.5, 1.0]))
    assert torch.equal(out[0], a[0]) and torch.equal(out[2], b[2])


@pytest.mark.parametrize(("total", "start", "count", "message"), [
    (0, 0, 0, r"^the walk has no frames \(total 0\): give it at least 1 frame$"),
    (5, 5, 0, r"start_frame must be in 0\.\.4 for a walk of 5 frames, got 5"),
    (5, 2, 4, r"start_frame \+ frame_count = 6 is past the end of the walk \(5 frames\): lower frame_count to at "
              r"most 3"),
    (5, 0, -2, r"frame_count must be >= 0"),
])
def test_windows_past_the_end_are_refused(total, start, count, message):
    with pytest.raises(ValueError, match=message):
        schedule.window(total, start, count)
