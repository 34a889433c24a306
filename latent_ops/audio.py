"""Per-frame audio features that pace a walk (as nateraw/stable-diffusion-videos does with onsets).

Audio is ComfyUI's AUDIO waveform, shape (B, C, S) (or (C, S), (S,)); only the first batch item
is used, its channels averaged to mono. Video frame k covers the samples
[floor(k sr / fps), floor(k sr / fps) + L) with L = ceil(sr / fps) (zero past the end).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

FEATURES = ("onsets", "energy")


def to_mono(waveform: Tensor) -> Tensor:
    """(B, C, S) / (C, S) / (S,) -> (S,) float64: first batch item, mean over channels."""
    w = waveform.detach().to(device="cpu", dtype=torch.float64)
    if w.dim() == 3:
        w = w[0]
    if w.dim() == 2:
        w = w.mean(dim=0)
    if w.dim() != 1:
        raise ValueError(f"audio waveform must have shape (batch, channels, samples), got {tuple(waveform.shape)}")
    return w


def frame_count(samples: int, sample_rate: int, fps: float) -> int:
    """Video frames that cover the audio: ceil(S fps / sr)."""
    return max(1, math.ceil(samples * fps / sample_rate - 1e-9))


def frame_windows(signal: Tensor, sample_rate: int, fps: float, frames: int) -> Tensor:
    """(N, L) windows of a mono signal, frame k starting at floor(k sr / fps), zero-padded at the end."""
    if sample_rate <= 0 or fps <= 0:
        raise ValueError(f"sample_rate and fps must be > 0, got {sample_rate} and {fps}")
    length = max(1, math.ceil(sample_rate / fps))
    starts = torch.floor(torch.arange(frames, dtype=torch.float64) * (sample_rate / fps)).long()
    padded = torch.cat([signal, torch.zeros(length + max(0, int(starts[-1]) - signal.numel()), dtype=signal.dtype)])
    idx = starts[:, None] + torch.arange(length)[None, :]
    return padded[idx]


def frame_energy(windows: Tensor) -> Tensor:
    """RMS of each frame's window: sqrt(mean(x^2)), shape (N,)."""
    return windows.pow(2).mean(dim=1).sqrt()


def frame_onsets(windows: Tensor) -> Tensor:
    """Spectral flux of each frame: mean over bins of max(0, log(1 + |X_k|) - log(1 + |X_{k-1}|)).

    X_k is the real FFT of frame k's Hann-windowed samples; the frame before frame 0 is silence,
    so a sound that starts at once is an onset of frame 0. Rises in loudness of any partial
    count; decays do not. Shape (N,).
    """
    hann = torch.hann_window(windows.shape[1], periodic=False, dtype=windows.dtype)
    mag = torch.log1p(torch.fft.rfft(windows * hann, dim=1).abs())
    prev = torch.cat([torch.zeros_like(mag[:1]), mag[:-1]])
    return (mag - prev).clamp_min(0).mean(dim=1)


def normalise(a: Tensor) -> Tensor:
    """(a - min) / (max - min) in [0, 1]; a constant feature gives zeros."""
    span = a.max() - a.min()
    if float(span) <= 0:
        return torch.zeros_like(a)
    return (a - a.min()) / span


def decay(a: Tensor, frames: float) -> Tensor:
    """Each peak rings out: a'_k = max over j <= k of a_j exp(-(k - j) / frames); frames 0 leaves a as is.

    Computed as a max over a finite exponential kernel of length ceil(6 frames) (vectorised).
    """
    if frames < 0:
        raise ValueError(f"decay must be >= 0 frames, got {frames}")
    if frames == 0 or a.numel() == 0:
        return a
    width = min(a.numel(), math.ceil(6 * frames) + 1)
    lag = torch.arange(width, dtype=a.dtype)
    kernel = torch.exp(-lag / frames)
    padded = torch.cat([torch.zeros(width - 1, dtype=a.dtype), a])
    windows = padded.unfold(0, width, 1).flip(1)
    return (windows * kernel).max(dim=1).values


def frame_speeds(waveform: Tensor, sample_rate: int, fps: float, frames: int, feature: str = "onsets",
                 floor: float = 0.1, decay_frames: float = 2.0) -> Tensor:
    """Per-frame walk speed v_k = floor + (1 - floor) a_k from the audio, shape (N,), float64.

    a = normalise(decay(feature)), feature being onsets (spectral flux: the walk jumps on beats)
    or energy (RMS: the walk moves fast while the music is loud). floor in [0, 1] is the speed in
    silence relative to the loudest frame: 1 gives linear timing.
    """
    if feature not in FEATURES:
        raise ValueError(f"feature must be one of {', '.join(FEATURES)}, got {feature!r}")
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"floor must be in 0..1, got {floor}")
    if frames < 2:
        raise ValueError(f"frames must be >= 2 for a paced walk, got {frames}")
    windows = frame_windows(to_mono(waveform), sample_rate, fps, frames)
    raw = frame_onsets(windows) if feature == "onsets" else frame_energy(windows)
    return floor + (1.0 - floor) * normalise(decay(raw, decay_frames))


def click_track(bpm: float, seconds: float, sample_rate: int = 44100, pitch: float = 1000.0) -> Tensor:
    """A metronome: at every beat k 60 / bpm s a 30 ms sine burst of `pitch` Hz decaying as exp(-t / 5 ms).

    Shape (1, 1, S) float32 with S = round(seconds sr), peak 0.8; no randomness.
    """
    if bpm <= 0 or seconds <= 0 or sample_rate <= 0:
        raise ValueError(f"bpm, seconds and sample_rate must be > 0, got {bpm}, {seconds}, {sample_rate}")
    n = round(seconds * sample_rate)
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    since = torch.remainder(t, 60.0 / bpm)
    burst = torch.sin(2 * math.pi * pitch * since) * torch.exp(-since / 0.005) * (since < 0.03)
    return (0.8 * burst).to(torch.float32).reshape(1, 1, n)
