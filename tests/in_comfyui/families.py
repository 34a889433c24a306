"""Graphs and fixtures for the model-family tests: SDXL, SD3, Flux and Wan 2.1 (tools/make_models.py).

Models are built once into .cache/ and linked into the booted ComfyUI's model folders. SDXL and
SD3 encode their prompts with real CLIP-L + CLIP-G. Flux's T5-XXL and Wan's UMT5-XXL (4.7 G and
5.7 G parameters, fixed configs) are far too large for the CPU, so their conditioning is built
as tensors at the models' shapes (T5 tokens 4096 wide; Flux's pooled 768 and guidance) and put
into the graph by `StoredConditioning`, a source node registered only while a family test runs.
"""

from __future__ import annotations

import torch

from tests.conftest import REPO
from tests.in_comfyui import graphs
from tools import make_models

CACHE = REPO / ".cache"
SDXL = "meander-test-sdxl.safetensors"
CLIP_L, CLIP_G = "meander-test-clip_l.safetensors", "meander-test-clip_g.safetensors"
SD3, FLUX, WAN = "meander-test-sd3.safetensors", "meander-test-flux.safetensors", "meander-test-wan.safetensors"
WAN_VAE = "meander-test-wan-vae.safetensors"
FLUX_VAE = "meander-test-flux-vae.safetensors"
SIZE = graphs.SIZE
STEPS = 2


class StoredConditioning:
    """Test-only source node: the CONDITIONING stored under `name` (tensors built by the test)."""

    STORE: dict[str, list] = {}
    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "load"
    CATEGORY = "testing"

    @classmethod
    def INPUT_TYPES(cls) -> dict:  # noqa: N802  (ComfyUI's V1 node interface)
        return {"required": {"name": ("STRING", {"default": ""})}}

    def load(self, name: str) -> tuple[list]:
        return (self.STORE[name],)


def _link(comfy, folder: str, name: str, built) -> None:
    link = comfy.base / "models" / folder / name
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(built)


def linked_models(comfy):
    """A test module's fixture body: every family's test model built (cached in .cache/) and linked into
    the booted ComfyUI, and StoredConditioning registered while the module runs."""
    import nodes

    _link(comfy, "checkpoints", SDXL, make_models.make_sdxl_checkpoint(CACHE / SDXL))
    for path in make_models.make_text_encoders(CACHE).values():
        _link(comfy, "text_encoders", path.name, path)
    for family, name in (("sd3", SD3), ("flux", FLUX), ("wan", WAN)):
        _link(comfy, "diffusion_models", name, make_models.make_diffusion_model(family, CACHE / name))
    _link(comfy, "vae", WAN_VAE, make_models.make_wan_vae(CACHE / WAN_VAE))
    _link(comfy, "vae", FLUX_VAE, make_models.make_flux_vae(CACHE / FLUX_VAE))
    nodes.NODE_CLASS_MAPPINGS["MeanderStoredConditioning"] = StoredConditioning
    yield comfy
    del nodes.NODE_CLASS_MAPPINGS["MeanderStoredConditioning"]
    StoredConditioning.STORE.clear()


def t5_conditioning(name: str, tokens: int, seed: int, pooled: int | None = None, **extra) -> list:
    """A conditioning of T5's shape (1 x tokens x 4096), with a pooled output and extra keys, stored
    under `name` for StoredConditioning; seeded, scaled like a text encoder's output (unit variance)."""
    generator = torch.Generator().manual_seed(seed)
    entry = dict(extra)
    if pooled is not None:
        entry["pooled_output"] = torch.randn(1, pooled, generator=generator)
    cond = [[torch.randn(1, tokens, 4096, generator=generator), entry]]
    StoredConditioning.STORE[name] = cond
    return cond


def stored(name: str) -> dict:
    return {"class_type": "MeanderStoredConditioning", "inputs": {"name": name}}


def custom(model: dict, positive: dict, noise: dict, latent_ref: list, negative: dict | None = None,
           cfg: float = 2.0, extra: dict | None = None) -> dict:
    """SamplerCustomAdvanced (euler, simple, STEPS) on node 1's model: noise and latent from node 4
    (a walk node or RandomNoise + latent_ref), CFGGuider with a negative or BasicGuider without."""
    guider = ({"class_type": "CFGGuider", "inputs": {"model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0],
                                                     "cfg": cfg}} if negative
              else {"class_type": "BasicGuider", "inputs": {"model": ["1", 0], "conditioning": ["2", 0]}})
    graph = {
        "1": model, "2": positive, "4": noise, "5": guider,
        "6": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "7": {"class_type": "BasicScheduler", "inputs": {"model": ["1", 0], "scheduler": "simple", "steps": STEPS,
                                                         "denoise": 1.0}},
        "8": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": ["4", 0], "guider": ["5", 0], "sampler": ["6", 0], "sigmas": ["7", 0],
            "latent_image": latent_ref}},
        "9": graphs.save_latent(["8", 0]),
        **(extra or {}),
    }
    if negative:
        graph["3"] = negative
    return graph


def random_noise(seed: int) -> dict:
    return {"class_type": "RandomNoise", "inputs": {"noise_seed": seed}}


def unet(name: str) -> dict:
    return {"class_type": "UNETLoader", "inputs": {"unet_name": name, "weight_dtype": "default"}}


def render(comfy, graph: dict, node_id: str = "9") -> torch.Tensor:
    return graphs.read_latent(comfy, comfy.run(graph), node_id)


def call(comfy, node_type: str, **inputs) -> tuple:
    """A host node's outputs for these inputs (a V3 execute or a V1 FUNCTION, as the host defines it)."""
    cls = comfy.node_class(node_type)
    out = getattr(cls(), cls.FUNCTION)(**inputs) if hasattr(cls, "FUNCTION") else cls.execute(**inputs)
    if isinstance(out, tuple):
        return out
    return out.args if hasattr(out, "args") else out.result
