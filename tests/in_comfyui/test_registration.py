"""How ComfyUI loads the pack: V3 entry point only, prefixed node ids, tooltips everywhere."""

import ast
from dataclasses import fields

import pytest

from latent_ops import walks
from scripts.host import REPO, node_classes

PACK_NODES = [
    "MeanderSeedWalk", "MeanderSeedChainWalk", "MeanderSeedVariations", "MeanderNoiseLoop", "MeanderNoisyLatent",
    "MeanderClipLoop", "MeanderPingPong",
    "MeanderPromptTravel", "MeanderConditioningTravel", "MeanderPromptDrift", "MeanderPromptCircle",
    "MeanderLatentPan", "MeanderNoisePan", "MeanderFastRender",
    "MeanderTimedSeedWalk", "MeanderEvenRetime", "MeanderAudioPacing", "MeanderClickTrack",
    "MeanderWalkMetrics", "MeanderTrajectoryPlot", "MeanderVideoSegment", "MeanderWalkSampler",
    "MeanderLatentWalk", "MeanderImageWalk",
]


def test_package_exports_only_the_entrypoint_and_web_directory():
    """A module that also exports NODE_CLASS_MAPPINGS has its entrypoint ignored by ComfyUI 0.3.75."""
    tree = ast.parse((REPO / "__init__.py").read_text())
    names = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    names |= {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    assert names == {"comfy_entrypoint", "WEB_DIRECTORY", "__all__"}


@pytest.mark.parametrize("node_id", PACK_NODES)
def test_node_is_registered_with_description_and_tooltips(comfy, node_info, node_id):
    info = node_info(node_id)
    assert info["description"] and info["display_name"].endswith("(Meander)")
    assert info["category"].startswith("latent/meander")
    for section in ("required", "optional"):
        for name, spec in info["input"].get(section, {}).items():
            assert spec[1].get("tooltip"), f"{node_id}.{name} has no tooltip"
    assert all(info["output_tooltips"]), f"{node_id} has an output without tooltip"


def test_every_meander_node_is_listed_here(comfy):
    assert sorted(n for n in node_classes() if n.startswith("Meander")) == sorted(PACK_NODES)


def test_search_aliases_where_the_host_has_them(comfy, node_info):
    """Newer hosts find the walks by what users type (slerp, seed travel, ...); 0.3.75 has no aliases."""
    from dataclasses import fields

    from comfy_api.v0_0_2 import io

    aliases = {alias for node_id in PACK_NODES for alias in node_info(node_id).get("search_aliases") or []}
    if "search_aliases" in {f.name for f in fields(io.Schema)}:
        assert {"slerp", "latent walk", "seed travel", "prompt travel", "loop", "morph"} <= aliases
        assert node_info("MeanderSeedWalk")["search_aliases"][0] == "slerp"
    else:
        assert aliases == set()


WALK_NODES = sorted(walks.WALKS) + ["MeanderLatentPan"]
"""Every node a walk object describes: the walks of WALKS, and the Latent Pan (a Pan of the batch it is given)."""


@pytest.mark.parametrize("node_id", WALK_NODES)
def test_every_walk_field_defaults_to_its_node_inputs_default(node_info, node_id):
    """The editor's preview and the render CLI build a walk with the class's defaults where an input is
    missing: each must be the default the node shows."""
    cls = walks.WALKS.get(node_id, walks.Pan)
    info = node_info(node_id)
    shown = {name: spec[1]["default"] for section in ("required", "optional")
             for name, spec in info["input"].get(section, {}).items() if "default" in spec[1]}
    own = {f.name: f.default for f in fields(cls) if f.name in shown}
    assert own and own == {name: shown[name] for name in own}
