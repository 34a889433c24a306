"""The peer a user would pick instead of ComfyUI: diffusers' StableDiffusionPipeline on SD1.5's architecture.

Used by benchmarks/walk_speed.py --peer (diffusers is no dependency of the pack: carry its wheel). The
UNet and VAE have SD1.5's configuration with random weights in fp16, as `torch_dtype=torch.float16`
loads them; the scheduler is Euler with SD1.5's betas, at walk_speed's size, steps and CFG. The prompt
goes in as ready embeddings (`prompt_embeds`), so no text encoder runs in the timed calls, as in
ComfyUI, whose cache keeps the conditioning between the graphs. Compiled, it is what diffusers'
guide to torch.compile does: the UNet channels-last, then torch.compile(unet, fullgraph=True).
"""

from __future__ import annotations

import time

import torch

SD15_UNET = {"sample_size": 64, "in_channels": 4, "out_channels": 4, "cross_attention_dim": 768,
             "attention_head_dim": 8, "block_out_channels": (320, 640, 1280, 1280), "layers_per_block": 2}
"""UNet2DConditionModel's configuration of SD1.5 (its default down and up blocks are SD1.5's)."""
SD15_VAE = {"block_out_channels": (128, 256, 512, 512), "down_block_types": ("DownEncoderBlock2D",) * 4,
            "up_block_types": ("UpDecoderBlock2D",) * 4, "latent_channels": 4, "layers_per_block": 2,
            "sample_size": 512}
"""AutoencoderKL's configuration of SD1.5's VAE."""
SD15_BETAS = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "steps_offset": 1}
"""SD1.5's noise schedule, as its scheduler_config.json gives it."""


def pipeline(unet_config: dict = SD15_UNET, vae_config: dict = SD15_VAE, device: str = "cuda",
             dtype: torch.dtype = torch.float16):
    """A StableDiffusionPipeline of random weights without text encoder, tokenizer or safety checker."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    pipe = StableDiffusionPipeline(
        vae=AutoencoderKL(**vae_config), text_encoder=None, tokenizer=None,
        unet=UNet2DConditionModel(**unet_config), scheduler=EulerDiscreteScheduler(**SD15_BETAS),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False).to(device, dtype)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def compile_unet(pipe) -> None:
    """diffusers' own recipe: the UNet channels-last, compiled whole (inductor, default mode)."""
    pipe.unet.to(memory_format=torch.channels_last)
    pipe.unet = torch.compile(pipe.unet, fullgraph=True)


def render(pipe, batch: int, size: int, steps: int, cfg: float, decode: bool, seed: int = 0) -> torch.Tensor:
    """One batch of `batch` frames: latents (decode=False) or images in [0, 1] (decode=True)."""
    width = pipe.unet.config.cross_attention_dim
    gen = torch.Generator(pipe.device).manual_seed(seed)
    embeds, negative = (torch.randn(batch, 77, width, generator=gen, device=pipe.device, dtype=pipe.unet.dtype)
                        for _ in range(2))
    return pipe(prompt_embeds=embeds, negative_prompt_embeds=negative, height=size, width=size,
                num_inference_steps=steps, guidance_scale=cfg, output_type="pt" if decode else "latent",
                generator=gen).images


def frames_per_s(pipe, batch: int, size: int, steps: int, cfg: float, decode: bool, repeats: int) -> float:
    """Frames per second over `repeats` batches, after one untimed batch (which pays any compile)."""
    render(pipe, batch, size, steps, cfg, decode)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(repeats):
        render(pipe, batch, size, steps, cfg, decode, seed=i + 1)
    torch.cuda.synchronize()
    return batch * repeats / (time.perf_counter() - start)
