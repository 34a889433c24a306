"""The one place the pack imports ComfyUI's public API from: the V3 node API (pinned version) and its torch helpers."""

import sys
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


def host_node(node_id: str) -> type:
    """The host's own class of a core node (e.g. EmptyLatentImage), from ComfyUI's NODE_CLASS_MAPPINGS.

    Read from ComfyUI's top-level `nodes` module, which the host imported before loading any pack
    (this pack's own `nodes` package is never top-level), so the pack builds what the host builds.
    """
    return sys.modules["nodes"].NODE_CLASS_MAPPINGS[node_id]


__all__ = ["ComfyExtension", "host_node", "io", "schema", "set_torch_compile_wrapper", "ui"]
