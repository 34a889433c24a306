"""Walk nodes built from their walk classes (latent_ops/walks.py): the one place a declaration becomes a node.

A walk class declares its widgets on its fields (latent_ops/inputs.py), its linked inputs in
`heads`, its shared inputs in `tails` and its title, description, category and aliases.
`walk_schema` turns that into the V3 schema; `walk_node` makes the whole node of a noise walk
or a prompt walk, whose `execute` is `Walk.from_inputs` and the walk's own frames. Walks whose
frames need more of ComfyUI (keyframe conditionings, latents, inverted images) have nodes of their
own that still take their schema from here.
"""

from __future__ import annotations

from typing import Any

from ..latent_ops import walks
from ..latent_ops.inputs import Spec, widgets
from .comfy import io, schema
from .common import (
    FrameLatent,
    TimeWarp,
    latent_shape_input,
    noise_walk_output,
    noise_walk_outputs,
)
from .conditioning import conditioning_walk_outputs, same_noise_latent, walk_each_entry

LINK_TYPES: dict[str, Any] = {
    "CONDITIONING": io.Conditioning, "CLIP": io.Clip, "LATENT": io.Latent, "IMAGE": io.Image, "GUIDER": io.Guider,
    "SIGMAS": io.Sigmas, "VAE": io.Vae, "MEANDER_TIME_WARP": TimeWarp,
}
"""The ComfyUI type of each kind of linked input a walk declares."""


def widget(name: str, spec: Spec) -> io.Input:
    """The V3 input of one declared widget."""
    common = {"default": spec.default, "tooltip": spec.tooltip}
    if spec.kind == "int":
        return io.Int.Input(name, min=spec.low, max=spec.high, step=spec.step,
                            control_after_generate=False if spec.seed else None, **common)
    if spec.kind == "float":
        return io.Float.Input(name, min=spec.low, max=spec.high, step=spec.step, round=spec.round, **common)
    if spec.kind == "string":
        return io.String.Input(name, multiline=spec.multiline, **common)
    if spec.kind == "boolean":
        return io.Boolean.Input(name, label_on=spec.label_on, label_off=spec.label_off, **common)
    if spec.kind == "combo":
        return io.Combo.Input(name, options=list(spec.choices), **common)
    raise ValueError(f"{name}: no widget of kind {spec.kind!r}")


def widgets_of(cls: type) -> list[io.Input]:
    """The widgets a (walk) dataclass declares, in the node's order."""
    return [widget(name, spec) for name, spec in widgets(cls)]


def tail_inputs(walk: type[walks.Walk]) -> list[io.Input]:
    """The shared inputs after a walk's widgets: size (unless the walk declares it), latent_shape, window."""
    own = {name for name, _ in widgets(walk)}
    tails = {
        "size": [w for w in widgets_of(walks.FrameSize) if w.id not in own],
        "latent_shape": [latent_shape_input()],
        "window": widgets_of(walks.Window),
    }
    return [i for tail in walk.tails for i in tails[tail]]


def walk_schema(walk: type[walks.Walk], outputs: list[io.Output]) -> io.Schema:
    """The V3 schema of a walk's node: heads, widgets, tails, and the given outputs."""
    heads = [LINK_TYPES[h.type].Input(h.name, optional=h.optional, tooltip=h.tooltip) for h in walk.heads]
    return schema(node_id=walk.node_id, search_aliases=list(walk.aliases), display_name=f"{walk.title} (Meander)",
                  category=walk.category, description=walk.description,
                  inputs=[*heads, *widgets_of(walk), *tail_inputs(walk)], outputs=outputs)


def run_noise_walk(walk_cls: type[walks.NoiseWalk], inputs: dict) -> io.NodeOutput:
    """A noise walk's NOISE and empty LATENT for its window (common.noise_walk_output)."""
    frame = FrameLatent.of(inputs["width"], inputs["height"], inputs.get("latent_shape"))
    walk = walk_cls.from_inputs(inputs)
    return noise_walk_output(walk, inputs["start_frame"], inputs["frame_count"], frame)


def run_prompt_walk(walk_cls: type[walks.PromptWalk], inputs: dict) -> io.NodeOutput:
    """A prompt walk's CONDITIONING (each entry walked by the walk) and its same-noise LATENT."""
    frame = FrameLatent.of(inputs["width"], inputs["height"], inputs.get("latent_shape"))
    walk = walk_cls.from_inputs(inputs)
    frames = walk.window(inputs["start_frame"], inputs["frame_count"])
    cond = walk_each_entry(inputs["conditioning"], walk.embedding_walker(frames), len(frames), inputs["frame_count"],
                           frame)
    return io.NodeOutput(cond, same_noise_latent(len(frames), frame))


def walk_node(walk_cls: type[walks.Walk]) -> type[io.ComfyNode]:
    """The node of a noise or prompt walk, built from its declaration alone."""
    if issubclass(walk_cls, walks.NoiseWalk):
        outputs, run = noise_walk_outputs, run_noise_walk
    elif issubclass(walk_cls, walks.PromptWalk):
        outputs, run = conditioning_walk_outputs, run_prompt_walk
    else:
        raise TypeError(f"{walk_cls.__name__}: only noise and prompt walks have built nodes")

    def define_schema(cls) -> io.Schema:
        return walk_schema(walk_cls, outputs())

    def execute(cls, *heads, **inputs) -> io.NodeOutput:
        """The linked inputs may come by position, in the order of the walk's heads."""
        return run(walk_cls, {**dict(zip((h.name for h in walk_cls.heads), heads, strict=False)), **inputs})

    return type(walk_cls.node_id, (io.ComfyNode,), {
        "__module__": __name__, "__doc__": walk_cls.__doc__,
        "define_schema": classmethod(define_schema), "execute": classmethod(execute)})
