"""How ComfyUI loads the pack: V3 entry point only, prefixed node ids, tooltips everywhere."""

import ast
import sys
from dataclasses import fields

import pytest

from latent_ops import walks
from scripts.host import REPO, node_classes


def pack_node_ids() -> list[str]:
    """The node ids of the pack's one node list (nodes.NODES), as ComfyUI loaded the pack."""
    package = node_classes()["MeanderSeedWalk"].__module__.rsplit(".", 1)[0]
    return [node.GET_SCHEMA().node_id for node in sys.modules[package].NODES]


def test_package_exports_only_the_entrypoint_and_web_directory():
    """A module that also exports NODE_CLASS_MAPPINGS has its entrypoint ignored by ComfyUI 0.3.75."""
    tree = ast.parse((REPO / "__init__.py").read_text())
    names = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    names |= {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    assert names == {"comfy_entrypoint", "WEB_DIRECTORY", "__all__"}


def test_every_node_is_registered_with_description_and_tooltips(comfy, node_info):
    ids = pack_node_ids()
    assert len(ids) == len(set(ids)) >= 25 and set(walks.WALKS) <= set(ids)
    for node_id in ids:
        info = node_info(node_id)
        assert info["description"] and info["display_name"].endswith("(Meander)"), node_id
        assert info["category"].startswith("latent/meander"), node_id
        for section in ("required", "optional"):
            for name, spec in info["input"].get(section, {}).items():
                assert spec[1].get("tooltip"), f"{node_id}.{name} has no tooltip"
        assert all(info["output_tooltips"]), f"{node_id} has an output without tooltip"


def test_the_host_registers_exactly_the_node_list(comfy):
    assert sorted(n for n in node_classes() if n.startswith("Meander")) == sorted(pack_node_ids())


def test_search_aliases_where_the_host_has_them(comfy, node_info):
    """Newer hosts find the walks by what users type (slerp, seed travel, ...); 0.3.75 has no aliases."""
    from dataclasses import fields

    from comfy_api.v0_0_2 import io

    aliases = {alias for node_id in pack_node_ids() for alias in node_info(node_id).get("search_aliases") or []}
    if "search_aliases" in {f.name for f in fields(io.Schema)}:
        assert {"slerp", "latent walk", "seed travel", "prompt travel", "loop", "morph"} <= aliases
        assert node_info("MeanderSeedWalk")["search_aliases"][0] == "slerp"
    else:
        assert aliases == set()


WALK_CLASSES = {**walks.WALKS, "MeanderLatentPan": walks.Pan, walks.VideoPromptTravel.node_id: walks.VideoPromptTravel,
                walks.VideoConditioningTravel.node_id: walks.VideoConditioningTravel}
"""Every node a walk object describes: the walks of WALKS, the Latent Pan (a Pan of the batch it is given) and
the video travels (walks along the video latent they are given)."""
WALK_NODES = sorted(WALK_CLASSES)


@pytest.mark.parametrize("node_id", WALK_NODES)
def test_every_walk_field_defaults_to_its_node_inputs_default(node_info, node_id):
    """The editor's preview and the render CLI build a walk with the class's defaults where an input is
    missing: each must be the default the node shows."""
    cls = WALK_CLASSES[node_id]
    info = node_info(node_id)
    shown = {name: spec[1]["default"] for section in ("required", "optional")
             for name, spec in info["input"].get(section, {}).items() if "default" in spec[1]}
    own = {f.name: f.default for f in fields(cls) if f.name in shown}
    assert own and own == {name: shown[name] for name in own}
