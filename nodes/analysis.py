"""Walk analysis: figures of a rendered walk (std, step distances, CV, loop closure) and its path."""

from __future__ import annotations

import json

import comfy.utils
import torch
from torch import Tensor

from ..latent_ops import metrics
from .comfy import io, schema, ui
from .common import frames_of
from .plot import Series, line_chart, path_chart

CATEGORY = "latent/meander/analysis"
MAX_WALKS = 4
CLIP_BATCH = 8
"""Frames per CLIP vision call when scoring a walk."""


def step_series(label: str, x: Tensor) -> Series:
    """Step distances of a walk relative to their mean (1 = an even step), at the steps' midpoints."""
    d = metrics.step_distances(x)
    mean = float(d.mean())
    n = x.shape[0]
    return Series(label, [(k + 0.5) / (n - 1) for k in range(n - 1)], [float(v) / mean if mean > 0 else 1.0 for v in d])


def std_series(label: str, x: Tensor) -> Series:
    n = x.shape[0]
    return Series(label, [k / (n - 1) for k in range(n)], [float(v) for v in metrics.frame_std(x)])


def score_inputs(clip_vision, clip, prompt: str) -> bool:
    """Whether the InterpScore inputs ask for a score; a ValueError naming what is missing when only some are set."""
    given = {"clip_vision": clip_vision is not None, "clip": clip is not None, "score_prompt": bool(prompt.strip())}
    if not any(given.values()):
        return False
    missing = [name for name, ok in given.items() if not ok]
    if missing:
        raise ValueError(f"InterpScore needs clip_vision, clip and score_prompt together; {', '.join(missing)} "
                         "missing: connect a CLIP vision loader and the text encoder of the same CLIP and type the "
                         "prompt, or leave all three empty")
    return True


def frame_clip_scores(clip_vision, clip, prompt: str, images: Tensor) -> Tensor:
    """CLIPScore of every frame against `prompt` (metrics.clip_scores), the frames encoded CLIP_BATCH at a time."""
    _, pooled = clip.encode_from_tokens(clip.tokenize(prompt), return_pooled=True)
    if pooled is None:
        raise ValueError("clip gives no pooled text embedding: load a CLIP text encoder (e.g. clip_l with Load CLIP)")
    chunks = range(0, images.shape[0], CLIP_BATCH)
    bar = comfy.utils.ProgressBar(len(chunks))
    embeds = []
    for start in chunks:
        embeds.append(clip_vision.encode_image(images[start:start + CLIP_BATCH])["image_embeds"].float().cpu())
        bar.update(1)
    return metrics.clip_scores(pooled.float().cpu(), torch.cat(embeds))


class MeanderWalkMetrics(io.ComfyNode):
    """Per-frame std, step distances, their CV and the loop closure of a walk, as JSON and a chart."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderWalkMetrics",
            search_aliases=["latent walk", "smoothness", "metrics"],
            display_name="Walk Metrics (Meander)",
            category=CATEGORY,
            description="Measures a rendered walk (decoded images or latents): the standard deviation of each "
            "frame, the distance from each frame to the next (RMS over all values), the coefficient of variation "
            "of those distances (0 = the walk moves evenly) and the loop closure (the step from the last frame back "
            "to the first, relative to the mean step: about 1 for a seamless loop). Outputs the figures as JSON "
            "and a chart: step distance / mean step and std per frame, with an optional second walk overlaid "
            "(e.g. before and after re-timing). With a CLIP vision model, its text encoder and a prompt it also "
            "scores the decoded frames: each frame's CLIPScore max(100 cos(text, image), 0) and their mean, "
            "InterpScore (the interpolation study's figure).",
            is_output_node=True,
            inputs=[
                io.Image.Input("images", optional=True,
                               tooltip="The walk's decoded frames (one image per frame). Connect this or latent."),
                io.Latent.Input("latent", optional=True,
                                tooltip="The walk's latents (sampled or noise), one batch item per frame. Connect this "
                                "or images."),
                io.Image.Input("compare_images", optional=True,
                               tooltip="A second walk's frames drawn in the chart too (e.g. the coarse render "
                               "before re-timing). Optional."),
                io.Latent.Input("compare_latent", optional=True,
                                tooltip="A second walk's latents drawn in the chart too. Optional."),
                io.ClipVision.Input("clip_vision", optional=True,
                                    tooltip="For InterpScore (optional): a CLIP vision model from Load CLIP Vision, "
                                    "e.g. CLIP ViT-L/14 for SD1.5. Needs decoded images."),
                io.Clip.Input("clip", optional=True,
                              tooltip="For InterpScore: the text encoder of the same CLIP, from Load CLIP (e.g. "
                              "clip_l). SD1.5 checkpoints lack CLIP's text projection, so their CLIP output "
                              "does not give meaningful scores."),
                io.String.Input("score_prompt", default="", optional=True,
                                tooltip="For InterpScore: the prompt each frame is scored against. Leave empty (with "
                                "clip_vision and clip unconnected) to skip the score."),
            ],
            outputs=[
                io.String.Output(display_name="metrics_json",
                                 tooltip="All figures as JSON: frame_std and step_distance lists, step_mean, step_max, "
                                 "step_cv, loop_seam, loop_seam_ratio (and the same under 'compare')."),
                io.Image.Output(display_name="chart",
                                tooltip="Chart of step distance / mean step (flat at 1 = even) and std per frame."),
                io.Float.Output(display_name="step_cv",
                                tooltip="Coefficient of variation of the frame-to-frame distances (std / mean): 0 is "
                                "perfectly even motion."),
                io.Float.Output(display_name="interp_score",
                                tooltip="InterpScore: the mean CLIPScore (0-100) of the walk's frames against "
                                "score_prompt; 0 when not scored."),
            ],
        )

    @classmethod
    def execute(cls, images=None, latent=None, compare_images=None, compare_latent=None, clip_vision=None,
                clip=None, score_prompt: str = "") -> io.NodeOutput:
        scored = score_inputs(clip_vision, clip, score_prompt)
        walk = frames_of(images, latent, "walk")
        if walk is None:
            raise ValueError("connect the walk's frames to images (decoded) or latent")
        compare = frames_of(compare_images, compare_latent, "compare")
        walks = [("walk", walk)] + ([("compare", compare)] if compare is not None else [])
        for name, x in walks:
            if x.shape[0] < 2:
                raise ValueError(f"{name} has {x.shape[0]} frame: a walk needs at least 2 frames to measure")
        figures = {name: metrics.walk_metrics(x) for name, x in walks}
        panels = [
            ("step distance / mean step (1 = even)", [step_series(n, x) for n, x in walks]),
            ("std per frame", [std_series(n, x) for n, x in walks]),
        ]
        if scored:
            if latent is not None or compare_latent is not None:
                raise ValueError("InterpScore scores decoded frames: connect images (and compare_images), not latents")
            scores = {name: frame_clip_scores(clip_vision, clip, score_prompt, x) for name, x in walks}
            for name, s in scores.items():
                figures[name].update(clip_score=s.tolist(), interp_score=float(s.mean()))
            panels.append((f"CLIPScore per frame: {score_prompt[:40]}", [
                Series(n, [k / (len(s) - 1) for k in range(len(s))], s.tolist()) for n, s in scores.items()]))
        chart = line_chart(panels)
        text = json.dumps(figures)
        cv = figures["walk"]["step_cv"]
        score = figures["walk"].get("interp_score", 0.0)
        return io.NodeOutput(text, chart, cv, score,
                             ui={**ui.PreviewImage(chart, cls=cls).as_dict(), "text": [text]})


class MeanderTrajectoryPlot(io.ComfyNode):
    """The 2D PCA projection of one or several walks' paths, overlaid."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderTrajectoryPlot",
            search_aliases=["latent walk", "trajectory", "plot"],
            display_name="Walk Trajectory Plot (Meander)",
            category=CATEGORY,
            description="Draws the path of up to four walks through latent space, projected on the two principal "
            "axes of all their frames together (PCA): slerp walks bend along an arc, lerp walks go straight through "
            "the middle. A ring marks each walk's first frame, a square its last. The walks must have the same "
            "frame shape.",
            is_output_node=True,
            inputs=[
                io.Latent.Input("walk_1", tooltip="A walk's latents, one batch item per frame."),
                *[io.Latent.Input(f"walk_{i}", optional=True, tooltip="Another walk to overlay (optional).")
                  for i in range(2, MAX_WALKS + 1)],
                io.String.Input("labels", default="walk 1, walk 2, walk 3, walk 4",
                                tooltip="Legend labels of walk_1..walk_4, separated by commas."),
            ],
            outputs=[io.Image.Output(display_name="chart",
                                     tooltip="The walks' paths on their two principal axes (equal scale).")],
        )

    @classmethod
    def execute(cls, walk_1, labels: str, walk_2=None, walk_3=None, walk_4=None) -> io.NodeOutput:
        names = [s.strip() for s in labels.split(",")]
        walks = []
        for i, latent in enumerate([walk_1, walk_2, walk_3, walk_4], start=1):
            if latent is None:
                continue
            x = frames_of(None, latent, f"walk_{i}")
            if walks and x.shape[1:] != walks[0][1].shape[1:]:
                raise ValueError(f"walk_{i} has frames of shape {tuple(x.shape[1:])} but walk_1 has "
                                 f"{tuple(walks[0][1].shape[1:])}: plot walks of the same size together")
            walks.append((names[i - 1] if i - 1 < len(names) and names[i - 1] else f"walk {i}", x))
        paths = metrics.pca_2d([x for _, x in walks])
        named = [(name, p) for (name, _), p in zip(walks, paths, strict=True)]
        chart = path_chart(named, "walk paths: PCA of all frames")
        return io.NodeOutput(chart, ui=ui.PreviewImage(chart, cls=cls))
