"""The one place the pack imports ComfyUI's V3 API from (pinned version, shared/STYLE.md)."""

from comfy_api.v0_0_2 import ComfyExtension, io, ui

__all__ = ["ComfyExtension", "io", "ui"]
