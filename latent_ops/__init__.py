"""Pure torch math of latent walks (docs/SPEC.md). Never imports ComfyUI."""
