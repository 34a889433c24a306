"""The one place the pack imports ComfyUI's public API from: the V3 node API (pinned version) and its torch helpers."""

from dataclasses import fields

from comfy_api.torch_helpers import set_torch_compile_wrapper
from comfy_api.v0_0_2 import ComfyExtension, io, ui

NEWER_SCHEMA_FIELDS = frozenset({"search_aliases"})
"""Schema fields of newer ComfyUI that a node may set and an older host (0.3.75) lacks."""


def schema(**values) -> io.Schema:
    """io.Schema(**values), leaving out the NEWER_SCHEMA_FIELDS this host's Schema does not have.

    So a node declares its search aliases once: newer hosts list it under them, 0.3.75 ignores them.
    Any other unknown field still fails, as io.Schema does.
    """
    known = {f.name for f in fields(io.Schema)}
    return io.Schema(**{k: v for k, v in values.items() if k in known or k not in NEWER_SCHEMA_FIELDS})


__all__ = ["ComfyExtension", "io", "schema", "set_torch_compile_wrapper", "ui"]
