"""Determinism: the same inputs give bit-identical frames across runs and processes, and a frame does not
depend on the batch it is rendered in or on the device of the tensors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from latent_ops import embedding, interpolate, noise, schedule, windows

REPO = Path(__file__).resolve().parents[2]
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def walks() -> dict[str, torch.Tensor]:
    """One walk of every family, with fixed parameters."""
    shape = (4, 6, 5)
    g = torch.Generator().manual_seed(11)
    keys = [torch.randn(1, 77, 16, generator=g) for _ in range(3)]
    strip = torch.stack([noise.seed_noise(s, shape) for s in (3, 4, 5)])
    return {
        **{f"chain_{m}": noise.chain_walk([1337, 42, 7], shape, 5, m, "cosine", True) for m in interpolate.METHODS},
        "seed_walk": noise.seed_walk(2**64 - 1, 0, shape, 9, "slerp", "smoothstep"),
        "loop": noise.circular_loop(1, 2, shape, 12),
        "loop_radius": noise.circular_loop(1, 2, shape, 12, 0.3, 9),
        "pan": windows.translate(strip, stride=0.75, subpixel="nlerp", loop=True),
        "wipe": windows.translate(strip, stride=2.0, motion="wipe", easing="ease_in"),
        "travel": embedding.keyframe_walk(keys, [0, 4, 9], 12, True, "slerp", "token", "cosine"),
        "drift": embedding.drift_walk(keys[0], 6, 0.01, "random", torch.Generator().manual_seed(5)),
        "circle": embedding.circle_walk(keys[1], 6, 0.2, torch.Generator().manual_seed(6)),
    }


def fingerprints() -> dict[str, str]:
    """sha256 of each walk's bytes (with its shape and dtype)."""
    out = {}
    for name, x in walks().items():
        h = hashlib.sha256(f"{tuple(x.shape)} {x.dtype}".encode())
        h.update(x.contiguous().numpy().tobytes())
        out[name] = h.hexdigest()
    return out


def test_the_same_inputs_give_bit_identical_frames_in_one_process():
    first, second = walks(), walks()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_frames_are_bit_identical_in_another_process():
    """A fresh interpreter (its own torch state, one thread) computes the same bytes."""
    code = "import json; from tests.unit.test_determinism import fingerprints; print(json.dumps(fingerprints()))"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "123"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    theirs = json.loads(result.stdout.strip().splitlines()[-1])
    assert theirs == fingerprints()


def test_global_random_state_does_not_change_the_frames():
    """Walks take their randomness from their seeds only, never from torch's global generator."""
    torch.manual_seed(0)
    first = fingerprints()
    torch.manual_seed(12345)
    torch.randn(1000)
    assert fingerprints() == first


@pytest.mark.parametrize("method", list(interpolate.METHODS))
@pytest.mark.parametrize("closed", [False, True])
def test_a_frame_does_not_depend_on_the_batch_it_is_rendered_in(method, closed):
    """Frame k alone (a window of 1), in a window of 3, and in the whole walk: the same bits."""
    shape = (4, 8, 8)
    whole = noise.chain_walk([5, 6, 7], shape, 4, method, "smoothstep", closed)
    for k in range(whole.shape[0]):
        alone = noise.chain_walk([5, 6, 7], shape, 4, method, "smoothstep", closed, k, 1)
        assert torch.equal(alone[0], whole[k]), k
        start = min(k, whole.shape[0] - 3)
        three = noise.chain_walk([5, 6, 7], shape, 4, method, "smoothstep", closed, start, 3)
        assert torch.equal(three[k - start], whole[k]), k


def test_seed_noise_does_not_depend_on_the_batch_or_on_other_seeds():
    """Seed s's noise is the same whether drawn alone or beside other seeds in a chain or pan."""
    shape = (4, 8, 8)
    alone = noise.seed_noise(42, shape)
    chain = noise.chain_walk([7, 42, 9], shape, 3)
    pan = windows.translate(torch.stack([noise.seed_noise(s, shape) for s in (7, 42)]), stride=8.0)
    assert torch.equal(chain[3], alone) and torch.equal(pan[-1], alone)


@CUDA
@pytest.mark.parametrize("method", list(interpolate.METHODS))
def test_interpolation_on_the_gpu_matches_the_cpu(method):
    """Same frames on another device (to float32 rounding), exact endpoints, device and dtype kept."""
    a, b = noise.seed_noise(1, (1, 4, 16, 16)), noise.seed_noise(2, (1, 4, 16, 16))
    t = schedule.frame_times(9)
    cpu = interpolate.interpolate(a, b, t, method)
    gpu = interpolate.interpolate(a.cuda(), b.cuda(), t, method)
    assert gpu.device.type == "cuda" and gpu.dtype == torch.float32
    assert torch.equal(gpu[0].cpu(), a[0]) and torch.equal(gpu[-1].cpu(), b[0])
    assert torch.allclose(gpu.cpu(), cpu, rtol=1e-5, atol=1e-6)
    half = interpolate.interpolate(a.cuda().half(), b.cuda().half(), t, method)
    assert half.dtype == torch.float16 and bool(torch.isfinite(half).all())


@CUDA
def test_pans_on_the_gpu_are_bit_identical_to_the_cpu():
    """Whole-pixel pans are pure indexing: the same bits on any device."""
    z = torch.stack([noise.seed_noise(s, (4, 8, 8)) for s in (1, 2, 3)])
    cpu = windows.translate(z, stride=1.0, loop=True)
    gpu = windows.translate(z.cuda(), stride=1.0, loop=True)
    assert gpu.device.type == "cuda" and torch.equal(gpu.cpu(), cpu)


@CUDA
def test_prompt_walks_on_the_gpu_keep_their_keyframes():
    g = torch.Generator().manual_seed(3)
    keys = [torch.randn(1, 77, 32, generator=g).cuda() for _ in range(2)]
    out = embedding.keyframe_walk(keys, [0, 5], 6)
    assert out.device.type == "cuda" and torch.equal(out[0], keys[0][0]) and torch.equal(out[5], keys[1][0])
    cpu = embedding.keyframe_walk([k.cpu() for k in keys], [0, 5], 6)
    assert torch.allclose(out.cpu(), cpu, rtol=1e-5, atol=1e-6)
