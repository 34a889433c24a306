"""Walk quality figures (docs/SPEC.md, "Walk quality figures") and the 2D projection of a walk.

Every function takes a walk as a tensor of shape (N, *S): frame k is item k, treated as one flat
vector over S (latents B x C x H x W or B x C x T x H x W, images B x H x W x C alike). The math
runs in float64; results are float64 tensors or Python floats on the CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def _flat(x: Tensor) -> Tensor:
    """(N, *S) -> (N, D) float64 on the CPU."""
    if x.dim() < 2:
        raise ValueError(f"a walk must have shape (frames, ...), got {tuple(x.shape)}")
    return x.detach().reshape(x.shape[0], -1).to(device="cpu", dtype=torch.float64)


def frame_std(x: Tensor) -> Tensor:
    """Per-frame standard deviation sigma_k = sqrt(mean((z_k - mean(z_k))^2)) (population), shape (N,)."""
    return _flat(x).std(dim=1, correction=0)


def step_distances(x: Tensor, closed: bool = False) -> Tensor:
    """RMS frame-to-frame distances d_k = |z_{k+1} - z_k|_2 / sqrt(D), k = 0..N-2, shape (N - 1,).

    D is the number of values in one frame, so a distance does not grow with the resolution (it is
    the Euclidean distance up to the constant 1 / sqrt(D); ratios and the CV are the
    same). closed=True appends the seam step d_{N-1} = |z_0 - z_{N-1}| / sqrt(D): shape (N,).
    """
    z = _flat(x)
    if z.shape[0] < 2:
        raise ValueError(f"a walk needs at least 2 frames to have a step between them, got {z.shape[0]}")
    if closed:
        z = torch.cat([z, z[:1]])
    return (z[1:] - z[:-1]).norm(dim=1) / z.shape[1] ** 0.5


def coefficient_of_variation(d: Tensor) -> float:
    """CV = std(d) / mean(d) (population std) of step distances: 0 for perfectly even steps.

    A walk that does not move at all (mean 0) has CV 0.
    """
    d = d.to(torch.float64)
    mean = d.mean()
    if d.numel() == 0 or float(mean) == 0.0:
        return 0.0
    return float(d.std(correction=0) / mean)


def loop_closure(x: Tensor) -> tuple[float, float]:
    """(seam, ratio) of a walk played as a loop.

    seam = |z_0 - z_{N-1}|_2 / sqrt(D), the step from the last frame back to the first; ratio =
    seam / mean(d_k) over the walk's other steps: 1 means the seam is as long as any other step
    (a seamless loop at even speed), much more than 1 a visible jump at the seam.
    """
    d = step_distances(x, closed=True)
    inner = d[:-1].mean()
    seam = float(d[-1])
    return seam, (seam / float(inner) if float(inner) > 0 else (0.0 if seam == 0 else float("inf")))


def walk_metrics(x: Tensor) -> dict[str, object]:
    """All figures of one walk: per-frame std, step distances, their mean / max / CV, loop closure."""
    std = frame_std(x)
    d = step_distances(x)
    seam, ratio = loop_closure(x)
    return {
        "frames": int(x.shape[0]),
        "frame_std": [float(v) for v in std],
        "step_distance": [float(v) for v in d],
        "step_mean": float(d.mean()),
        "step_max": float(d.max()),
        "step_cv": coefficient_of_variation(d),
        "loop_seam": seam,
        "loop_seam_ratio": ratio,
    }


def clip_scores(text: Tensor, images: Tensor) -> Tensor:
    """CLIPScore of each frame against a prompt (from "Exploring the latent space"): max(100 cos(z_text, z_k), 0).

    `text` is the prompt's CLIP embedding (D,) or (1, D), `images` the frames' image embeddings
    (N, D) from the same CLIP. The mean over the frames is the InterpScore of that post. float64, shape (N,).
    """
    t = text.detach().reshape(-1).to(device="cpu", dtype=torch.float64)
    z = _flat(images)
    if z.shape[1] != t.numel():
        raise ValueError(f"the image embeddings are {z.shape[1]} wide and the text embedding {t.numel()}: "
                         "use a CLIP vision model and a text encoder of the same CLIP")
    norms = z.norm(dim=1) * t.norm()
    cos = torch.where(norms > 0, (z @ t) / norms.clamp_min(1e-300), torch.zeros_like(norms))
    return (100.0 * cos).clamp_min(0.0)


def pca_2d(walks: Sequence[Tensor]) -> list[Tensor]:
    """Project several walks (each (N_i, *S), same S) onto the first two principal axes of all frames.

    With Z the stacked frames (sum N_i, D) and Zc = Z - mean(Z), the axes are the top two
    eigenvectors of Zc^T Zc; they are computed from the Gram matrix G = Zc Zc^T (its eigenvectors
    u_j give the coordinates sqrt(lambda_j) u_j), so the cost is in the number of frames, not
    in D. Each axis' sign makes the first walk's first frame <= 0 (deterministic pictures). Rank-1
    data gets a zero second axis. Returns one (N_i, 2) float64 tensor per walk. For frames that
    lie in a 2D affine plane, all pairwise distances are kept exactly.
    """
    if not walks:
        raise ValueError("pca_2d needs at least one walk")
    flats = [_flat(w) for w in walks]
    if len({f.shape[1] for f in flats}) != 1:
        raise ValueError(f"all walks must have the same frame shape, got {[tuple(w.shape[1:]) for w in walks]}")
    z = torch.cat(flats)
    zc = z - z.mean(dim=0, keepdim=True)
    gram = zc @ zc.T
    evals, evecs = torch.linalg.eigh(gram)
    order = torch.argsort(evals, descending=True)[:2]
    coords = evecs[:, order] * evals[order].clamp_min(0).sqrt()
    if coords.shape[1] < 2:
        coords = torch.cat([coords, torch.zeros(coords.shape[0], 2 - coords.shape[1], dtype=coords.dtype)], dim=1)
    scale = float(coords.abs().max()) if coords.numel() else 0.0
    coords = torch.where(coords.abs() <= 1e-12 * max(scale, 1e-300), torch.zeros_like(coords), coords)
    signs = torch.where(coords[0] > 0, -1.0, 1.0).to(coords.dtype)
    coords = coords * signs
    return list(torch.split(coords, [f.shape[0] for f in flats]))
