"""Thumbnails of the bundled workflows for ComfyUI's template browser, drawn from the walks' own math.

The frontend shows a custom node pack's template `workflows/NAME.json` with the picture
`workflows/NAME.jpg`. No model weights exist here to render real frames, so each thumbnail draws
what the walk does to its latents, computed by latent_ops on small (4, 8, 8) latents or (1, 6, 16)
embeddings: the frames' path in the plane of their first two principal axes (metrics.pca_2d; a
two-seed slerp lies in one plane, so its arc is drawn exactly), one dot per frame, or for pans the
noise strip itself (channels 0..2 as RGB) with the window of several frames outlined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

from latent_ops import audio, embedding, metrics, noise, retime, windows

SIZE = 512
BACKGROUND = (22, 24, 30)
TEXT = (235, 235, 235)
MUTED = (150, 155, 165)
COLOURS = [(80, 170, 255), (255, 150, 70), (110, 210, 120), (235, 90, 170)]
LATENT = (4, 8, 8)
EMBEDDING = (1, 6, 16)


@dataclass(frozen=True)
class Path:
    """Frames (N, ...) of one walk, drawn as a line with a dot per frame; `colours` per frame, or one."""

    label: str
    frames: Tensor
    colours: Sequence[tuple[int, int, int]] | None = None


@dataclass(frozen=True)
class Paths:
    """Walks of one frame shape, projected together onto their first two principal axes."""

    paths: Sequence[Path]
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


def _keys(count: int, seed: int = 5) -> list[Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(EMBEDDING, generator=g) for _ in range(count)]


def _seed_walk(frames: int = 13, method: str = "slerp", easing: str = "linear") -> Tensor:
    return noise.seed_walk(1, 2, LATENT, frames, method, easing)


def _paced_by_beats() -> Tensor:
    """16 frames of the seed walk paced by a 120 bpm click track at 8 fps: the walk jumps on each beat."""
    clicks = audio.click_track(120.0, 2.0, sample_rate=8000)
    speed = audio.frame_speeds(clicks, 8000, 8.0, 16, floor=0.05)
    return noise.timed_walk(1, 2, LATENT, retime.paced_warp(speed).frame_times(16))


def _windows_of(frames: int, size: int) -> list[tuple[int, int, int]]:
    """Per-frame dot colours that alternate with each window of `size` frames."""
    return [COLOURS[(k // size) % 2 + 1] for k in range(frames)]


def _pan_offsets(panels: int, frames: int) -> list[int]:
    """Window offsets of an open pan across `panels` latents in `frames` frames."""
    size = LATENT[-1]
    return [round(float(o)) for o in windows.pan_offsets(panels, size, size * (panels - 1) / (frames - 1))]


def _pan(panels: int, seeds: Sequence[int]) -> Strip:
    latents = torch.stack([noise.seed_noise(s, LATENT) for s in seeds[:panels]])
    return Strip(latents, _pan_offsets(panels, 3))


THUMBNAILS: dict[str, Thumbnail] = {
    "meander_seed_walk": Thumbnail(
        "Seed walk", "slerp from seed A's noise to seed B's: every frame stays noise of the right size "
        "(lerp cuts the corner and fades the middle frames)",
        lambda: [Paths([Path("slerp", _seed_walk()), Path("lerp", _seed_walk(method="lerp"))])]),
    "meander_fast_seed_walk": Thumbnail(
        "Fast seed walk", "the same walk, 32 frames per batch through a model compiled once (torch.compile)",
        lambda: [Paths([Path("slerp, one window of frames", _seed_walk(32))])]),
    "meander_noise_pan": Thumbnail(
        "Noise pan", "a window slides across two seeds' noise laid side by side: the picture moves sideways",
        lambda: [_pan(2, [3, 4])]),
    "meander_panorama_pan": Thumbnail(
        "Panorama pan", "a window pans across three latents concatenated into one strip",
        lambda: [_pan(3, [3, 4, 5])]),
    "meander_seed_chain_walk": Thumbnail(
        "Seed chain walk", "slerp through a list of seeds and back to the first: a closed tour",
        lambda: [Paths([Path("4 seeds, 6 frames each", noise.chain_walk([1, 2, 3, 4], LATENT, 6, "slerp",
                                                                         "smoothstep", True))], closed=True)]),
    "meander_noise_loop": Thumbnail(
        "Circular noise loop", "cos/sin of two seeds' noise: a seamless circle, the frame after the last is the first",
        lambda: [Paths([Path("24 frames", noise.circular_loop(1, 2, LATENT, 24))], closed=True)]),
    "meander_prompt_travel": Thumbnail(
        "Prompt travel", "keyframed prompts: the conditioning slerps from one prompt's embedding to the next",
        lambda: [Paths([Path("2 keyframes, 12 frames", embedding.keyframe_walk(_keys(2), [0, 11], 12))])]),
    "meander_prompt_chain": Thumbnail(
        "Conditioning travel", "four encoded prompts, each held as a keyframe, walked through in order",
        lambda: [Paths([Path("4 keyframes", embedding.keyframe_walk(_keys(4), [0, 5, 10, 15], 16,
                                                                    easing="smoothstep"))])]),
    "meander_prompt_drift": Thumbnail(
        "Prompt drift", "one prompt's embedding drifts a small step further each frame",
        lambda: [Paths([Path("16 frames", embedding.drift_walk(_keys(1)[0], 16, 0.02, "random",
                                                              torch.Generator().manual_seed(3)))])]),
    "meander_prompt_circle": Thumbnail(
        "Prompt circle", "the embedding circles around one prompt: a seamless loop of the same subject",
        lambda: [Paths([Path("24 frames", embedding.circle_walk(_keys(1)[0], 24, 0.3,
                                                               torch.Generator().manual_seed(3)))], closed=True)]),
    "meander_seed_and_prompt_walk": Thumbnail(
        "Seed and prompt walk", "the noise and the prompt walk together, frame for frame",
        lambda: [Paths([Path("noise", _seed_walk(9))]),
                 Paths([Path("prompt", embedding.keyframe_walk(_keys(2), [0, 8], 9), [COLOURS[1]])])]),
    "meander_walk_metrics": Thumbnail(
        "Walk metrics", "two walks measured side by side: step size, spread and their paths, charted",
        lambda: [Paths([Path("slerp", _seed_walk()), Path("lerp", _seed_walk(method="lerp"))])]),
    "meander_even_retime": Thumbnail(
        "Even re-timing", "a coarse render's frame distances re-time the walk so every step looks equally big",
        lambda: [Paths([Path("before: uneven steps", _seed_walk(easing="ease_in"))]),
                 Paths([Path("after: even steps", _seed_walk(), [COLOURS[2]])])]),
    "meander_audio_walk": Thumbnail(
        "Audio-paced walk", "the walk jumps on the beats of the audio, which is muxed into the video",
        lambda: [Paths([Path("120 bpm at 8 fps", _paced_by_beats())])]),
    "meander_long_walk": Thumbnail(
        "Long walk in windows", "any length in fixed windows of frames, each saved as a segment, then stitched",
        lambda: [Paths([Path("windows of 6 frames", _seed_walk(24), _windows_of(24, 6))])]),
}
"""Bundled workflow name -> its thumbnail."""

