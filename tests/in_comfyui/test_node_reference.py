"""docs/NODES.md is what the nodes' schemas say, on every host (make docs writes it)."""

import pytest

from scripts.host import host_version
from tools import node_reference

OLDEST_HOST = "0.3.75"
"""The page is written on the oldest host tested: choices read from the host (the Walk Sampler's samplers) are
its own there, and newer hosts add some."""


def test_the_committed_node_reference_is_what_the_schemas_say(comfy):
    if host_version() != OLDEST_HOST:
        pytest.skip(f"docs/NODES.md is written on ComfyUI {OLDEST_HOST}, whose sampler list it shows")
    assert node_reference.PAGE.read_text() == node_reference.page(node_reference.pack_nodes()), \
        "docs/NODES.md is stale: run make docs"


def test_every_node_and_input_is_on_the_page(comfy):
    text = node_reference.PAGE.read_text()
    for node in node_reference.pack_nodes():
        schema = node.define_schema()
        assert f"— `{schema.node_id}`" in text
        assert all(f"| `{port.id}` |" in text for port in schema.inputs)
