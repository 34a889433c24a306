"""The bundled workflows in the real frontend, in headless Chromium (Debian's, never a download).

Each workflow loads with no missing node; the frontend's own graphToPrompt gives exactly the API
graph our converter makes; the saved workflow keeps its widget values as the host reads them
(the preview widget is not saved); every walk node (one with a start_frame / frame_count window)
shows the extension's preview.
A screenshot per workflow is kept in renders/test-artifacts/.
"""

import shutil
import time
from pathlib import Path

import pytest

from scripts import host
from scripts.workflow import FRONTEND_ONLY, load, read_widgets, ui_to_api
from tests.in_comfyui.graphs import TEST_CHECKPOINT
from tests.in_comfyui.test_workflows import WORKFLOWS
from video_ops import segments

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = host.REPO / "renders" / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def page(server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (tools/setup.sh installs it as root): no browser test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server, wait_until="domcontentloaded")
        page.wait_for_function("window.app && window.app.graph && window.LiteGraph", timeout=90_000)
        page.wait_for_function("window.app.extensionManager !== undefined", timeout=30_000)
        page.meander_errors = errors
        yield page
        browser.close()


def widgets_read(node: dict, values: list | None, node_info) -> dict | list:
    """A node's widget values by name as its host reads them (a newer frontend may store more values,
    for widgets its host added, and ints for whole floats); a frontend-only node's values as stored."""
    if node["type"] in FRONTEND_ONLY:
        return values or []
    return {widget.name: value for widget, value in read_widgets(node_info(node["type"]), values or [])}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_loads_in_the_frontend_with_no_missing_node(page, path: Path, node_info):
    ui = load(path)
    state = page.evaluate(
        """async (ui) => {
            await window.app.loadGraphData(structuredClone(ui), true, true, 'meander-test');
            const nodes = window.app.graph.nodes;
            const registered = window.LiteGraph.registered_node_types;
            const prompt = await window.app.graphToPrompt();
            return {
              missing: nodes.filter(n => !(n.type in registered)).map(n => n.type),
              previews: nodes.filter(n => n.widgets?.some(w => w.name === 'frame_count'))
                             .map(n => n.widgets.some(w => w.name === 'meander_preview')),
              saved: Object.fromEntries(prompt.workflow.nodes.map(n => [n.id, n.widgets_values])),
              widgets: Object.fromEntries(nodes.map(n => [n.id, (n.widgets ?? []).map(w => w.name)])),
              api: prompt.output,
            };
        }""",
        ui,
    )
    assert state["missing"] == []
    assert state["previews"] and all(state["previews"])
    nodes = {str(n["id"]): n for n in ui["nodes"]}
    for node_id, node in nodes.items():  # every widget the host declares is on the node in the editor
        if node["type"] not in FRONTEND_ONLY:
            declared = widgets_read(node, node.get("widgets_values"), node_info)
            assert set(declared) <= set(state["widgets"][node_id]), (node["type"], state["widgets"][node_id])
    assert {k: widgets_read(nodes[k], v, node_info) for k, v in state["saved"].items()} == {
        k: widgets_read(n, n.get("widgets_values"), node_info) for k, n in nodes.items()}
    ours = ui_to_api(ui, node_info)
    theirs = {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in state["api"].items()}
    assert theirs == {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in ours.items()}
    assert not any(n["class_type"] in FRONTEND_ONLY for n in state["api"].values())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"browser_{path.stem}.png"))
    assert page.meander_errors == []


def test_every_walk_node_gets_its_plan_from_the_server(page, node_info):
    """Each node with a start_frame / frame_count window asks /meander/walk_plan from the editor: a fresh
    node's plan is its walk object's (latent_ops.walks), or the reason a Latent Pan has none."""
    from latent_ops import walks

    kinds = sorted(n for n in host.node_classes() if n.startswith("Meander")
                   and {"start_frame", "frame_count"} <= set(node_info(n)["input"].get("required", {})))
    plans = page.evaluate(
        """async (kinds) => {
            const {api} = await import('/scripts/api.js');
            const out = {};
            for (const kind of kinds) {
              const node = window.LiteGraph.createNode(kind);
              const inputs = Object.fromEntries(node.widgets.filter(w => w.name !== 'meander_preview')
                                                      .map(w => [w.name, w.value]));
              const previewed = node.widgets.some(w => w.name === 'meander_preview');
              const r = await api.fetchApi('/meander/walk_plan', {method: 'POST', body: JSON.stringify(
                  {node_type: kind, inputs})});
              out[kind] = {previewed, plan: await r.json()};
            }
            return out;
        }""", kinds)
    assert set(plans) == set(walks.WALKS) | set(walks.BATCH_LENGTH)
    assert all(p["previewed"] for p in plans.values())
    assert plans["MeanderSeedWalk"]["plan"]["length"] == 48 and plans["MeanderSeedWalk"]["plan"]["window"] == [0, 48]
    assert plans["MeanderLatentPan"]["plan"] == {"error": walks.BATCH_LENGTH["MeanderLatentPan"]}
    for kind, answer in plans.items():
        if kind in walks.WALKS and "error" not in answer["plan"]:
            assert len(answer["plan"]["progress"]) == len(answer["plan"]["frames"]) >= 1, kind


def toast_text(page, needle: str) -> str:
    """The text of the frontend's toast message that contains `needle`, waiting for it to show."""
    toast = page.locator(".p-toast-message", has_text=needle).first
    toast.wait_for(timeout=15_000)
    return toast.inner_text()


def test_queue_every_window_renders_the_whole_long_walk(page, server, comfy):
    """The extension's command refuses mismatched windows with a toast and queues nothing; the saver's
    button runs it on its node: one prompt per window, widgets put back; the real server renders them
    and stitches the video."""
    ui = load(host.REPO / "workflows" / "meander_long_walk.json")
    refused = page.evaluate(
        """async ([ui, ckpt, command]) => {
            await window.app.loadGraphData(structuredClone(ui), true, true, 'meander-long');
            window.meanderQueued = 0;
            window.app.api.addEventListener('promptQueued', () => { window.meanderQueued += 1; });
            const nodes = window.app.graph.nodes;
            const set = (type, values) => nodes.filter(n => n.type === type).forEach(n =>
                Object.entries(values).forEach(([k, v]) => { n.widgets.find(w => w.name === k).value = v; }));
            set('CheckpointLoaderSimple', {ckpt_name: ckpt});
            set('MeanderSeedWalk', {frames: 6, frame_count: 3, width: 64, height: 64});
            set('BasicScheduler', {steps: 1});
            set('MeanderVideoSegment', {frames: 6, folder: 'meander/browser_long'});
            const other = window.LiteGraph.createNode('MeanderNoiseLoop');
            window.app.graph.add(other);  // a second walk with another window size: refused
            await window.app.extensionManager.command.execute(command);  // acts on the graph's only saver
            window.app.graph.remove(other);
            return window.meanderQueued;
        }""",
        [ui, TEST_CHECKPOINT, "Meander.QueueEveryWindow"],
    )
    assert refused == 0
    assert "cannot queue every window" in toast_text(page, "same frame_count")
    result = page.evaluate(
        """async () => {
            const nodes = window.app.graph.nodes;
            const saver = nodes.find(n => n.type === 'MeanderVideoSegment');
            const button = saver.widgets.find(w => w.type === 'button');
            await button.callback();
            const walk = nodes.find(n => n.type === 'MeanderSeedWalk');
            const prompt = await window.app.graphToPrompt();
            return {
              queued: window.meanderQueued,
              button: button.label ?? button.name,
              restored: [walk, saver].map(n => n.widgets.find(w => w.name === 'start_frame').value),
              saved: prompt.workflow.nodes.find(n => n.type === 'MeanderVideoSegment').widgets_values,
            };
        }"""
    )
    assert result["queued"] == 2 and result["restored"] == [0, 0]
    assert result["button"] == "queue every window"
    assert "Save Walk Video Segment" in toast_text(page, "queued 2 windows of the 6-frame walk")
    assert result["saved"] == [24.0, "meander/browser_long", 0, 6, True]  # the button is not saved
    folder = comfy.output_dir / "meander" / "browser_long"
    deadline = time.monotonic() + 240
    while not list(folder.glob("*.mp4")):
        assert time.monotonic() < deadline, f"no stitched video in {folder}: {list(folder.rglob('*'))}"
        time.sleep(0.5)
    (video,) = folder.glob("*.mp4")
    segments_saved = sorted(p.name for p in (folder / video.stem).glob("*.mp4"))
    assert len(segments_saved) == 2
    assert segments.frame_count(video) == 6
    assert page.meander_errors == []
