"""Small random-weight SDXL, SD3, Flux and Wan 2.1 models that ComfyUI's own loaders detect.

Each family's diffusion model is built on the meta device from the configuration ComfyUI's own
detection (`comfy.model_detection.model_config_from_unet`) derives from the few tensors it reads
(SDXL's UNet from its layout, as tools/make_checkpoint.py builds SD1.5's), so the files follow
the host's own classes; then the weights are filled as make_checkpoint does (`_init`). Every
writer returns at once when its file is already there, so a test session builds each file once.

- SDXL: a checkpoint for CheckpointLoaderSimple. The UNet keeps what `supported_models.SDXL`
  matches (320 channels, transformer depths 0, 0, 2, 2, 10, 10, context 2048, adm 2816) at one
  channel width and a light output side; CLIP-L, CLIP-G and the KL VAE are complete (ComfyUI
  builds them from fixed configs). About 1.02 G parameters, 2 GB in fp16.
- CLIP-L and CLIP-G alone (for DualCLIPLoader, type sd3): SD3's real text stack without T5.
- SD3: a 2-block MMDiT (hidden 128, 16-channel latents) for UNETLoader.
- Flux dev: one double block and no single block at hidden 3072 (Flux's 24 heads of 128 are
  fixed by detection), with guidance_in. About 400 M parameters, 0.8 GB in fp16.
- Wan 2.1 text-to-video: one block at dim 128 (one head of 128) for UNETLoader, and a Wan 2.1
  VAE at dim 16 (its width is read from the file) for VAELoader.

Flux's and Wan's text encoders (T5-XXL, UMT5-XXL) have fixed 4.7 G / 5.7 G parameter configs,
far too large for the CPU: tests build their conditioning tensors at the right shapes instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from .make_checkpoint import VAE_DDCONFIG, _init

SDXL_UNET_CONFIG = {
    "image_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "model_channels": 320,
    "num_res_blocks": [2, 2, 2],
    "channel_mult": [1, 1, 1],
    "transformer_depth": [0, 0, 2, 2, 10, 10],
    "transformer_depth_middle": -1,
    "transformer_depth_output": [0, 0, 0, 0, 0, 0, 1, 1, 1],
    "num_heads": -1,
    "num_head_channels": 64,
    "use_spatial_transformer": True,
    "use_linear_in_transformer": True,
    "context_dim": 2048,
    "adm_in_channels": 2816,
    "num_classes": "sequential",
    "use_temporal_attention": False,
}
"""The smallest UNet ComfyUI still detects as SDXL (smaller input depths are SSD-1B / Vega)."""
SDXL_FULL_UNET_CONFIG = {**SDXL_UNET_CONFIG, "channel_mult": [1, 2, 4], "transformer_depth_middle": 10,
                         "transformer_depth_output": [0, 0, 0, 2, 2, 2, 10, 10, 10]}
"""SDXL base's real UNet (2.6B parameters), for the GPU benchmark."""

SD3_PROBE = {
    "joint_blocks.0.context_block.attn.qkv.weight": (384, 128),
    "x_embedder.proj.weight": (128, 16, 2, 2),
    "final_layer.linear.weight": (64, 128),
    "y_embedder.mlp.0.weight": (128, 2048),
    "context_embedder.weight": (128, 4096),
    "pos_embed": (1, 256, 128),
}
"""What SD3's detection reads: hidden = 64 x depth (2 blocks), 16 channels, pooled 2048, context 4096."""

FLUX_PROBE = {
    "double_blocks.0.img_attn.norm.key_norm.scale": (128,),
    "img_in.weight": (3072, 64),
    "txt_in.weight": (3072, 4096),
    "vector_in.in_layer.weight": (3072, 768),
    "guidance_in.in_layer.weight": (3072, 256),
}
"""What Flux's detection reads: hidden 3072, 16 x 2 x 2 patches, T5 4096, pooled 768, guidance (dev)."""

def _blocks(prefix: str, count: int) -> dict[str, tuple[int, ...]]:
    """One probe key per block (`prefix.i.probe`), which is all ComfyUI's `count_blocks` reads."""
    return {f"{prefix}.{i}.probe": (1,) for i in range(count)}


def _wan_probe(dim: int, ffn: int, layers: int) -> dict[str, tuple[int, ...]]:
    """What Wan 2.1's detection reads: dim (heads of 128), ffn, 16 latent channels in and out, t2v, `layers` blocks."""
    return {"head.modulation": (1, 2, dim), "head.head.weight": (64, dim), "blocks.0.ffn.0.weight": (ffn, dim),
            "patch_embedding.weight": (dim, 16, 1, 2, 2), **_blocks("blocks", layers)}


WAN_PROBE = _wan_probe(128, 256, 1)
"""The tests' Wan 2.1: dim 128 (one head), ffn 256, one block."""

WAN_VAE_DIM = 16

FAMILY_CLASSES = {"sd3": "SD3", "flux": "Flux", "wan": "WAN21_T2V"}
"""The `comfy.supported_models` class each diffusion model must be detected as."""

PROBES = {"sd3": SD3_PROBE, "flux": FLUX_PROBE, "wan": WAN_PROBE}


FULL_PROBES = {
    "flux": {**FLUX_PROBE, **_blocks("double_blocks", 19), **_blocks("single_blocks", 38)},
    "wan": _wan_probe(1536, 8960, 30),
    "wan14b": _wan_probe(5120, 13824, 40),
}
"""Released sizes, for the GPU benchmark: Flux dev (19 double and 38 single blocks, 11.9 G parameters), Wan 2.1
text-to-video 1.3B (dim 1536, ffn 8960, 30 blocks of 12 heads) and 14B (dim 5120, ffn 13824, 40 blocks of 40 heads)."""
FULL_CLASSES = {**FAMILY_CLASSES, "wan14b": FAMILY_CLASSES["wan"]}
WAN_VAE_FULL_DIM = 96
"""The released Wan 2.1 VAE's width."""


def _save(state: dict[str, torch.Tensor], path: Path) -> Path:
    """Write a safetensors file atomically (a .tmp beside it, then renamed)."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in state.items()}, str(tmp))
    tmp.replace(path)
    return path


def _filled(module: torch.nn.Module, seed: int, prefix: str = "", device: str = "cpu",
            dtype: torch.dtype = torch.float16) -> dict[str, torch.Tensor]:
    """The module's state dict (built on meta) filled by `_init` on `device`, in `dtype` (position ids kept
    integer). A GPU fills a full-size model's billions of weights in seconds."""
    generator = torch.Generator(device).manual_seed(seed)
    state = {}
    with torch.device(device):
        for key, tensor in module.state_dict().items():
            value = _init(key, tensor.shape, generator)
            state[prefix + key] = value if key.endswith("position_ids") else value.to(dtype)
    return state


def detected_config(family: str, full: bool = False):
    """ComfyUI's own model config for the family's probe tensors (meta), checked to be the right class.

    full=True probes the released size (FULL_PROBES, which also names `wan14b`)."""
    import comfy.model_detection

    probes, classes = (FULL_PROBES, FULL_CLASSES) if full else (PROBES, FAMILY_CLASSES)
    probe = {key: torch.empty(shape, device="meta") for key, shape in probes[family].items()}
    config = comfy.model_detection.model_config_from_unet(probe, "")
    if type(config).__name__ != classes[family]:
        raise RuntimeError(f"ComfyUI detects the {family} probe as {type(config).__name__}, not {classes[family]}")
    return config


def diffusion_model(family: str, full: bool = False) -> torch.nn.Module:
    """The family's diffusion model on the meta device, built by the detected config's get_model."""
    config = detected_config(family, full)
    with torch.device("meta"):
        return config.get_model({}, "", device="meta").diffusion_model


def make_diffusion_model(family: str, path: Path, seed: int = 0, full: bool = False, device: str = "cpu") -> Path:
    """Write the family's diffusion model (for UNETLoader, keys without prefix) unless it is there.

    full=True writes the released size in bf16 (FULL_PROBES; 24 GB for Flux dev, 28 GB for Wan 14B),
    filled on `device`. Keys are written as the released files name them, so a file built on one host
    loads on every host: Flux's QK-norm scales are `*_norm.scale` (newer ComfyUI names its own module's
    `.weight` and renames released files' `.scale` on load; 0.3.75 detects Flux only by `.scale`).
    """
    path = Path(path)
    if path.exists():
        return path
    state = _filled(diffusion_model(family, full), seed, device=device,
                    dtype=torch.bfloat16 if full else torch.float16)
    if family == "flux":
        state = {_released_flux_key(k): v for k, v in state.items()}
    return _save(state, path)


def _released_flux_key(key: str) -> str:
    """BFL's name for a Flux key: the QK-norm's scale is `.scale`, whatever the host's module calls it."""
    if key.endswith(("query_norm.weight", "key_norm.weight")):
        return key[: -len("weight")] + "scale"
    return key


def _text_encoders() -> dict[str, torch.nn.Module]:
    """CLIP-L and CLIP-G as SDXL's text stack holds them (meta), by their ComfyUI names."""
    import comfy.sdxl_clip

    with torch.device("meta"):
        clip = comfy.sdxl_clip.SDXLClipModel(device="meta")
    return {"clip_l": clip.clip_l, "clip_g": clip.clip_g}


def make_text_encoders(directory: Path, seed: int = 0) -> dict[str, Path]:
    """Write clip_l and clip_g (HF key format, what DualCLIPLoader detects) unless they are there."""
    paths = {name: Path(directory) / f"meander-test-{name}.safetensors" for name in ("clip_l", "clip_g")}
    for i, (name, module) in enumerate(_text_encoders().items()):
        if not paths[name].exists():
            state = _filled(module.transformer, seed + i)
            _save(state, paths[name])
    return paths


def make_sdxl_checkpoint(path: Path, seed: int = 0, full: bool = False) -> Path:
    """Write the SDXL checkpoint (UNet, CLIP-L + CLIP-G, KL VAE; about 2 GB in fp16) unless it is there.

    full=True builds SDXL base's real UNet (SDXL_FULL_UNET_CONFIG; about 7 GB in all).
    The keys are what SDXL's own `process_*_state_dict_for_saving` give, as ComfyUI saves a checkpoint.
    """
    import comfy.ldm.models.autoencoder
    import comfy.ldm.modules.diffusionmodules.openaimodel as openaimodel
    import comfy.ops
    import comfy.supported_models

    path = Path(path)
    if path.exists():
        return path
    unet_config = SDXL_FULL_UNET_CONFIG if full else SDXL_UNET_CONFIG
    config = comfy.supported_models.SDXL(unet_config)
    ops = comfy.ops.disable_weight_init
    with torch.device("meta"):
        unet = openaimodel.UNetModel(**unet_config, device="meta", operations=ops)
        vae = comfy.ldm.models.autoencoder.AutoencoderKL(ddconfig=VAE_DDCONFIG, embed_dim=4)
    clip = {}
    for i, (name, module) in enumerate(_text_encoders().items()):
        clip.update(_filled(module, seed + 1 + i, f"{name}."))
    state = config.process_unet_state_dict_for_saving(_filled(unet, seed))
    state.update(config.process_clip_state_dict_for_saving(clip))
    state.update(config.process_vae_state_dict_for_saving(_filled(vae, seed + 3)))
    return _save(state, path)


def make_wan_vae(path: Path, seed: int = 0, dim: int = WAN_VAE_DIM) -> Path:
    """Write a Wan 2.1 VAE of width `dim` (16 latent channels, 4x time, 8x space) unless it is there.

    The tests' width is WAN_VAE_DIM; the released VAE's is WAN_VAE_FULL_DIM."""
    import comfy.ldm.wan.vae

    path = Path(path)
    if path.exists():
        return path
    with torch.device("meta"):
        vae = comfy.ldm.wan.vae.WanVAE(dim=dim, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2,
                                       attn_scales=[], temperal_downsample=[False, True, True], dropout=0.0)
    return _save(_filled(vae, seed), path)


def make_flux_vae(path: Path, seed: int = 0) -> Path:
    """Write a 16-channel KL VAE (Flux's and SD3's ae layout at SD's widths) for VAELoader unless it is there."""
    import comfy.ldm.models.autoencoder

    path = Path(path)
    if path.exists():
        return path
    with torch.device("meta"):
        vae = comfy.ldm.models.autoencoder.AutoencoderKL(ddconfig={**VAE_DDCONFIG, "z_channels": 16}, embed_dim=16)
    return _save(_filled(vae, seed), path)


def main() -> None:
    from scripts import host

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the .safetensors files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    host.import_comfy_path()
    print(make_sdxl_checkpoint(args.directory / "meander-test-sdxl.safetensors", args.seed))
    print(make_text_encoders(args.directory, args.seed))
    for family in FAMILY_CLASSES:
        print(make_diffusion_model(family, args.directory / f"meander-test-{family}.safetensors", args.seed))
    print(make_wan_vae(args.directory / "meander-test-wan-vae.safetensors", args.seed))
    print(make_flux_vae(args.directory / "meander-test-flux-vae.safetensors", args.seed))


if __name__ == "__main__":
    main()
