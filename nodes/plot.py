"""Charts drawn with Pillow (no matplotlib): line charts of per-frame figures, 2D walk paths.

Each function returns a ComfyUI IMAGE, shape (1, H, W, 3) float32 in [0, 1], which ComfyUI
previews and saves like any image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

PALETTE = [(64, 160, 255), (255, 140, 60), (90, 200, 110), (230, 80, 160), (200, 200, 90), (160, 120, 255)]
BACKGROUND = (24, 24, 28)
AXES = (120, 120, 130)
TEXT = (220, 220, 220)
MARGIN = (56, 28, 16, 28)
"""left, top, right, bottom margins of a panel in pixels."""


@dataclass(frozen=True)
class Series:
    """One curve: x and y values of equal length and its legend label."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]


def colour(i: int) -> tuple[int, int, int]:
    return PALETTE[i % len(PALETTE)]


def _to_image(img: Image.Image) -> Tensor:
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).unsqueeze(0)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _range(values: list[float]) -> tuple[float, float]:
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1.0):
        pad = max(abs(hi) * 0.1, 1e-3)
        lo, hi = lo - pad, hi + pad
    return lo, hi


def line_chart(panels: Sequence[tuple[str, Sequence[Series]]], width: int = 640, panel_height: int = 220,
               x_label: str = "position in the walk (0 = first frame, 1 = last)") -> Tensor:
    """Panels stacked vertically, each (title, curves) with its own y range and a shared x range.

    Curve i of every panel has colour i; points are joined by lines and marked with dots.
    """
    font = ImageFont.load_default()
    height = panel_height * len(panels) + 18
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = MARGIN
    xs_all = [float(x) for _, curves in panels for s in curves for x in s.xs]
    x0, x1 = _range(xs_all)
    for p, (title, curves) in enumerate(panels):
        oy = p * panel_height
        box = (left, oy + top, width - right, oy + panel_height - bottom)
        y0, y1 = _range([float(y) for s in curves for y in s.ys])
        draw.rectangle(box, outline=AXES)
        draw.text((left, oy + 8), title, fill=TEXT, font=font)
        draw.text((4, box[1]), _fmt(y1), fill=TEXT, font=font)
        draw.text((4, box[3] - 10), _fmt(y0), fill=TEXT, font=font)

        def point(x: float, y: float, box=box, y0=y0, y1=y1) -> tuple[float, float]:
            px = box[0] + (x - x0) / (x1 - x0) * (box[2] - box[0])
            py = box[3] - (y - y0) / (y1 - y0) * (box[3] - box[1])
            return px, py

        legend_x = width - right - sum(draw.textlength(s.label, font=font) + 24 for s in curves)
        for i, s in enumerate(curves):
            pts = [point(float(x), float(y)) for x, y in zip(s.xs, s.ys, strict=True)]
            if len(pts) > 1:
                draw.line(pts, fill=colour(i), width=2)
            for px, py in pts:
                draw.ellipse((px - 2.5, py - 2.5, px + 2.5, py + 2.5), fill=colour(i))
            draw.rectangle((legend_x, oy + 10, legend_x + 10, oy + 18), fill=colour(i))
            draw.text((legend_x + 14, oy + 8), s.label, fill=TEXT, font=font)
            legend_x += draw.textlength(s.label, font=font) + 24
    draw.text((left, height - 14), f"{x_label}   [{_fmt(x0)} .. {_fmt(x1)}]", fill=TEXT, font=font)
    return _to_image(img)


def path_chart(paths: Sequence[tuple[str, Tensor]], title: str, size: int = 512) -> Tensor:
    """2D paths (each (N, 2)) on equal axes: a line through the frames, a ring at the first frame
    and a filled square at the last; path i has colour i."""
    font = ImageFont.load_default()
    img = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(img)
    pad = 40
    pts_all = torch.cat([p.reshape(-1, 2).to(torch.float64) for _, p in paths])
    lo = pts_all.min(dim=0).values
    hi = pts_all.max(dim=0).values
    span = float((hi - lo).max()) or 1.0
    centre = (lo + hi) / 2
    scale = (size - 2 * pad) / span
    draw.rectangle((pad // 2, pad // 2 + 10, size - pad // 2, size - pad // 2), outline=AXES)
    draw.text((pad // 2, 8), title, fill=TEXT, font=font)

    def point(xy: Tensor) -> tuple[float, float]:
        return (size / 2 + float(xy[0] - centre[0]) * scale, size / 2 - float(xy[1] - centre[1]) * scale + 5)

    legend_y = size - pad // 2 - 14
    for i, (label, p) in enumerate(paths):
        pts = [point(xy) for xy in p]
        if len(pts) > 1:
            draw.line(pts, fill=colour(i), width=2)
        for px, py in pts:
            draw.ellipse((px - 2, py - 2, px + 2, py + 2), fill=colour(i))
        (sx, sy), (ex, ey) = pts[0], pts[-1]
        draw.ellipse((sx - 6, sy - 6, sx + 6, sy + 6), outline=colour(i), width=2)
        draw.rectangle((ex - 4, ey - 4, ex + 4, ey + 4), fill=colour(i))
        draw.rectangle((pad // 2 + 6, legend_y, pad // 2 + 16, legend_y + 8), fill=colour(i))
        draw.text((pad // 2 + 20, legend_y - 2), label, fill=TEXT, font=font)
        legend_y -= 14
    return _to_image(img)
