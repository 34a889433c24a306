"""ComfyUI Meander: latent walks (seed, prompt, loop, pan) rendered to video in ComfyUI."""

from .nodes import comfy_entrypoint

WEB_DIRECTORY = "./web"

__all__ = ["comfy_entrypoint", "WEB_DIRECTORY"]
