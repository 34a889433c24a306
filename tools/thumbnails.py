"""Thumbnails of the bundled workflows for ComfyUI's template browser, drawn from the walks' own math.

The frontend shows a custom node pack's template `workflows/NAME.json` with the picture
`workflows/NAME.jpg`. No model weights exist here to render real frames, so each thumbnail draws
what the walk does to its latents, computed by latent_ops on small (4, 8, 8) latents or (1, 6, 16)
embeddings: the frames' path in the plane of their first two principal axes (metrics.pca_2d; a
two-seed slerp lies in one plane, so its arc is drawn exactly), one dot per frame, or for pans the
noise strip itself (channels 0..2 as RGB) with the window of several frames outlined.

Each bundled workflow's Thumbnail is declared beside its builder (build_workflows.BUNDLED); this
module holds the description types, the small walks they draw, and the drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

from latent_ops import audio, metrics, noise, retime, windows

SIZE = 512
BACKGROUND = (22, 24, 30)
TEXT = (235, 235, 235)
MUTED = (150, 155, 165)
COLOURS = [(80, 170, 255), (255, 150, 70), (110, 210, 120), (235, 90, 170)]
LATENT = (4, 8, 8)
EMBEDDING = (1, 6, 16)


@dataclass(frozen=True)
class Walk:
    """Frames (N, ...) of one walk, drawn as a line with a dot per frame; `colours` per frame, or one."""

    label: str
    frames: Tensor
    colours: Sequence[tuple[int, int, int]] | None = None


@dataclass(frozen=True)
class Paths:
    """Walks of one frame shape, projected together onto their first two principal axes."""

    paths: Sequence[Walk]
    closed: bool = False


@dataclass(frozen=True)
class Strip:
    """A pan: the (K, C, H, W) latents side by side, with the windows at `offsets` (latent pixels)."""

    latents: Tensor
    offsets: Sequence[int]


@dataclass(frozen=True)
class Thumbnail:
    """A template picture: a title, one line saying what the walk does, and its panels side by side."""

    title: str
    caption: str
    panels: Callable[[], Sequence[Paths | Strip]]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Greedy word wrap of `text` to lines no wider than `width` pixels."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _draw_paths(draw: ImageDraw.ImageDraw, panel: Paths, box: tuple[int, int, int, int]) -> None:
    """Each path as a polyline through its frames' PCA coordinates, fitted into box with equal axes."""
    coords = metrics.pca_2d([p.frames for p in panel.paths])
    everything = torch.cat(coords)
    lo, hi = everything.min(dim=0).values, everything.max(dim=0).values
    x0, y0, x1, y1 = box
    scale = min((x1 - x0) / max(float(hi[0] - lo[0]), 1e-9), (y1 - y0) / max(float(hi[1] - lo[1]), 1e-9))
    centre = (lo + hi) / 2

    def at(p: Tensor) -> tuple[float, float]:
        return ((x0 + x1) / 2 + scale * float(p[0] - centre[0]), (y0 + y1) / 2 - scale * float(p[1] - centre[1]))

    font = _font(15)
    for i, (path, xy) in enumerate(zip(panel.paths, coords, strict=True)):
        colour = COLOURS[i % len(COLOURS)]
        points = [at(p) for p in xy]
        draw.line(points + (points[:1] if panel.closed else []), fill=colour, width=3)
        for k, (x, y) in enumerate(points):
            dot = path.colours[k % len(path.colours)] if path.colours else colour
            r = 7 if k in (0, len(points) - 1) else 4
            draw.ellipse((x - r, y - r, x + r, y + r), fill=dot, outline=BACKGROUND)
        legend_y = y1 + 12 + 20 * i
        draw.ellipse((x0, legend_y + 4, x0 + 10, legend_y + 14), fill=colour)
        draw.text((x0 + 16, legend_y), path.label, fill=colour, font=font)


def _latent_rgb(latents: Tensor) -> np.ndarray:
    """(K, C, H, W) -> (H, K W, 3) uint8: channels 0..2 side by side, each mapped from [-2.5, 2.5] to 0..255."""
    strip = windows.make_strip(latents)[:3]
    return ((strip.clamp(-2.5, 2.5) + 2.5) / 5 * 255).round().byte().permute(1, 2, 0).numpy()


def _draw_strip(image: Image.Image, draw: ImageDraw.ImageDraw, panel: Strip, box: tuple[int, int, int, int]) -> None:
    """The latents as one nearest-neighbour-scaled picture and the pan's windows as outlines on it."""
    pixels = _latent_rgb(panel.latents)
    h, w = pixels.shape[:2]
    x0, y0, x1, y1 = box
    scale = min((x1 - x0) // w, (y1 - y0 - 40) // h)
    left, top = x0 + ((x1 - x0) - scale * w) // 2, y0 + 20
    image.paste(Image.fromarray(pixels).resize((scale * w, scale * h), Image.NEAREST), (left, top))
    size = panel.latents.shape[-1]
    for i, offset in enumerate(panel.offsets):
        colour = COLOURS[i % len(COLOURS)]
        inset = 3 * i
        draw.rectangle((left + scale * offset + inset, top + inset, left + scale * (offset + size) - inset,
                        top + scale * h - inset), outline=colour, width=3)
    draw.text((left, top + scale * h + 8), "noise strip; outlines: the window of frames "
              + ", ".join(str(k) for k in range(len(panel.offsets))), fill=MUTED, font=_font(15))


def render(thumbnail: Thumbnail) -> Image.Image:
    """The SIZE x SIZE picture: title, caption and the panels in equal columns below them."""
    image = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((24, 20), thumbnail.title, fill=TEXT, font=_font(30))
    y = 62
    for line in _wrap(draw, thumbnail.caption, _font(18), SIZE - 48):
        draw.text((24, y), line, fill=MUTED, font=_font(18))
        y += 24
    panels = thumbnail.panels()
    width = (SIZE - 48) // len(panels)
    for i, panel in enumerate(panels):
        box = (24 + i * width + 12, y + 24, 24 + (i + 1) * width - 12, SIZE - 70)
        if isinstance(panel, Strip):
            _draw_strip(image, draw, panel, box)
        else:
            _draw_paths(draw, panel, box)
    return image


def prompt_keys(count: int, seed: int = 5) -> list[Tensor]:
    """`count` random EMBEDDING-shaped prompt embeddings: the keyframes of the prompt walks' pictures."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(EMBEDDING, generator=g) for _ in range(count)]


def seed_walk_frames(frames: int = 13, method: str = "slerp", easing: str = "linear") -> Tensor:
    """A walk of `frames` LATENT-shaped frames from seed 1's noise to seed 2's."""
    return noise.seed_walk(1, 2, LATENT, frames, method, easing)


def paced_by_beats() -> Tensor:
    """16 frames of the seed walk paced by a 120 bpm click track at 8 fps: the walk jumps on each beat."""
    clicks = audio.click_track(120.0, 2.0, sample_rate=8000)
    speed = audio.frame_speeds(clicks, 8000, 8.0, 16, floor=0.05)
    return noise.timed_walk(1, 2, LATENT, retime.paced_warp(speed).frame_times(16))


def window_colours(frames: int, size: int) -> list[tuple[int, int, int]]:
    """Per-frame dot colours that alternate with each window of `size` frames."""
    return [COLOURS[(k // size) % 2 + 1] for k in range(frames)]


def _pan_offsets(panels: int, frames: int) -> list[int]:
    """Window offsets of an open pan across `panels` latents in `frames` frames."""
    size = LATENT[-1]
    return [round(float(o)) for o in windows.pan_offsets(panels, size, size * (panels - 1) / (frames - 1))]


def pan_strip(panels: int, seeds: Sequence[int]) -> Strip:
    """A pan across the noise of the first `panels` seeds, with the windows of its first, middle and last frames."""
    latents = torch.stack([noise.seed_noise(s, LATENT) for s in seeds[:panels]])
    return Strip(latents, _pan_offsets(panels, 3))
