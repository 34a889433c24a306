"""latent_ops.audio: a click track's beats become the frames where the walk moves."""

import pytest
import torch

from latent_ops import audio, retime

RATE = 8000


def test_click_track_has_a_click_on_every_beat():
    w = audio.click_track(120, 2.0, RATE)
    assert w.shape == (1, 1, 2 * RATE) and w.dtype == torch.float32
    loud = (w[0, 0].abs() > 0.1).nonzero().flatten()
    starts = loud[torch.cat([torch.tensor([True]), loud.diff() > 100])]
    assert starts.tolist() == pytest.approx([0, 4000, 8000, 12000], abs=2)


@pytest.mark.parametrize("feature", audio.FEATURES)
def test_beats_of_a_click_track_are_the_fast_frames(feature):
    """120 bpm at 24 fps: beats on frames 0, 12, 24, 36; without decay the walk's steps into those
    frames are speed 1 and every other step the floor (0.1)."""
    w = audio.click_track(120, 2.0, RATE)
    frames = audio.frame_count(w.shape[-1], RATE, 24)
    assert frames == 48
    v = audio.frame_speeds(w, RATE, 24, frames, feature, floor=0.1, decay_frames=0)
    beats = [0, 12, 24, 36]
    assert torch.allclose(v[beats], torch.ones(4, dtype=torch.float64))
    others = torch.ones(frames, dtype=torch.bool)
    others[beats] = False
    assert torch.allclose(v[others], torch.full((frames - 4,), 0.1, dtype=torch.float64), atol=0.02)
    steps = retime.paced_warp(v).frame_times(frames).diff()
    assert steps[11] / steps[10] == pytest.approx(10.0, rel=0.2)


def test_decay_rings_out_after_a_beat():
    a = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    assert torch.allclose(audio.decay(a, 1.0), torch.tensor([0.0, 1.0, torch.e**-1, torch.e**-2, torch.e**-3],
                                                             dtype=torch.float64))
    assert torch.equal(audio.decay(a, 0), a)


def test_stereo_silence_gives_linear_timing():
    w = torch.zeros(1, 2, RATE)
    v = audio.frame_speeds(w, RATE, 10, 10, "energy", floor=0.25)
    assert torch.equal(v, torch.full((10,), 0.25, dtype=torch.float64))
    assert torch.allclose(retime.paced_warp(v).frame_times(10), torch.linspace(0, 1, 10, dtype=torch.float64))


def test_frame_count_covers_the_audio():
    assert audio.frame_count(RATE, RATE, 24) == 24
    assert audio.frame_count(RATE + 1, RATE, 24) == 25


def test_bad_inputs_are_named():
    w = audio.click_track(60, 1.0, RATE)
    with pytest.raises(ValueError, match="feature must be one of onsets, energy"):
        audio.frame_speeds(w, RATE, 24, 24, "loudness")
    with pytest.raises(ValueError, match="floor must be in 0..1"):
        audio.frame_speeds(w, RATE, 24, 24, "energy", floor=2)
    with pytest.raises(ValueError, match="batch, channels, samples"):
        audio.to_mono(torch.zeros(1, 1, 1, 4))
