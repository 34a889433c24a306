"""The bundled workflows in the real frontend, in headless Chromium (Debian's, never a download).

Each leg is one frontend: the one the host pins and, on the newest host, also the newest frontend
(requirements-frontend.txt, which tools/setup.sh newest installs beside that host) in each of its
node renderers, the LiteGraph canvas and the Vue one ("Nodes 2.0", the frontend's own setting
Comfy.VueNodes.Enabled), served by a second server with --front-end-root. On each: every workflow
loads with no missing node or widget; the frontend's own graphToPrompt gives exactly the API graph
our converter makes; the saved workflow keeps its widget values as the host reads them (the preview
is not saved); every walk node (one with a start_frame / frame_count window) shows its plan in the
extension's preview, label and frame dots; the saver's button queues every window of the long walk
and the server stitches the video. Screenshots are kept in renders/test-artifacts/.
"""

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts import host
from scripts.workflow import FRONTEND_ONLY, load, read_widgets, ui_to_api
from tests.in_comfyui.conftest import seed_settings, start_server, stop_server
from tests.in_comfyui.graphs import TEST_CHECKPOINT
from tests.in_comfyui.test_workflows import TIMELINE_WORKFLOWS, WORKFLOWS, here
from video_ops import segments

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = host.REPO / "renders" / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
NEWEST_HOST = host.REPO / ".newest" / "ComfyUI"
FRONTEND_PIN = host.REPO / "requirements-frontend.txt"
VUE_NODES = "Comfy.VueNodes.Enabled"
"""The frontend's setting that draws nodes with the Vue renderer (Nodes 2.0) instead of the canvas."""
PREVIEW_WAIT_S = 15
PREVIEW_HEIGHT = 96
"""Page pixels at zoom 1: the height web/meander.js gives the preview."""


@dataclass(frozen=True)
class Leg:
    """A frontend the browser tests run on: the host's own, or the newest one in one node renderer."""

    name: str
    newest: bool = False
    vue_nodes: bool = False


LEGS = [Leg("pinned"), Leg("newest-canvas", newest=True), Leg("newest-vue", newest=True, vue_nodes=True)]


def legs() -> list[Leg]:
    """The pinned frontend's leg on every host; the newest frontend's two on the tree setup.sh newest made."""
    try:
        newest = host.comfy_dir() == NEWEST_HOST.resolve()
    except FileNotFoundError:
        newest = False
    return LEGS if newest else LEGS[:1]


def newest_frontend() -> tuple[str, Path]:
    """The pinned newest frontend's version and the static folder tools/setup.sh newest installs it in."""
    (version,) = [line.split("==", 1)[1].strip() for line in FRONTEND_PIN.read_text().splitlines()
                  if line.startswith("comfyui-frontend-package==")]
    return version, host.REPO / ".newest" / f"frontend-{version}" / "comfyui_frontend_package" / "static"


@dataclass
class Editor:
    """One leg's open editor: its page, the output folder of the server behind it, the page errors seen."""

    leg: Leg
    page: object
    output_dir: Path
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The frontend's version and renderer, as screenshots are named: 1.58.1-vue."""
        version = self.page.evaluate("() => window.__COMFYUI_FRONTEND_VERSION__")
        return f"{version}-{'vue' if self.leg.vue_nodes else 'canvas'}"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (tools/setup.sh installs it as root): no browser test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def newest_server(comfy, tmp_path_factory):
    """A second server serving the newest frontend (--front-end-root), on a base directory of its own
    (its own settings, which the Vue leg changes, and outputs): (url, output folder)."""
    version, static = newest_frontend()
    if not (static / "index.html").is_file():
        pytest.skip(f"comfyui-frontend-package {version} is not in {static.parents[1]}: run tools/setup.sh newest")
    base = host.make_base(tmp_path_factory.mktemp("newest-frontend-base"))
    (base / "models" / "checkpoints" / TEST_CHECKPOINT).symlink_to(
        (comfy.base / "models" / "checkpoints" / TEST_CHECKPOINT).resolve())
    seed_settings(base)
    url, proc, log = start_server(base, static)
    yield url, base / "output"
    stop_server(proc, log)


@pytest.fixture(scope="module", params=legs(), ids=lambda leg: leg.name)
def editor(request, browser):
    """The editor of one leg in a fresh page, its node renderer set through the frontend's own setting."""
    leg = request.param
    if leg.newest:
        url, output_dir = request.getfixturevalue("newest_server")
    else:
        url, output_dir = request.getfixturevalue("server"), request.getfixturevalue("comfy").output_dir
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    opened = Editor(leg, page, output_dir)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function("window.app && window.app.graph && window.LiteGraph", timeout=90_000)
    page.wait_for_function("window.app.extensionManager !== undefined", timeout=30_000)
    if leg.newest:
        page.evaluate("([id, on]) => window.app.extensionManager.setting.set(id, on)", [VUE_NODES, leg.vue_nodes])
    yield opened
    page.close()


def widgets_read(node: dict, values: list | None, node_info) -> dict | list:
    """A node's widget values by name as its host reads them (a newer frontend may store more values,
    for widgets its host added, and ints for whole floats); a frontend-only node's values as stored."""
    if node["type"] in FRONTEND_ONLY:
        return values or []
    return {widget.name: value for widget, value in read_widgets(node_info(node["type"]), values or [])}


READ_PREVIEWS = """() => Object.fromEntries(window.app.graph.nodes
    .filter(n => n.widgets?.some(w => w.name === 'meander_preview'))
    .map(n => {
      const element = n.widgets.find(w => w.name === 'meander_preview').element;
      return [n.id, {
        label: element?.querySelector('.meander-preview-label')?.textContent,
        dots: element?.querySelectorAll('.meander-preview-dot').length,
        in_window: element?.querySelectorAll('.meander-in-window').length,
      }];
    }))"""
"""Each walk node's preview as the editor shows it: its label, its frame dots and those in the window."""


def expected_preview(node_type: str, inputs: dict) -> dict:
    """What a walk node's preview shows for these inputs: the route's plan (the walk object's), as the
    label's frame part (or the reason there is no plan), one dot per planned frame, those in the window."""
    _, plan = host.pack_module("routes").answer({"node_type": node_type, "inputs": inputs})
    if "error" in plan:
        return {"label": plan["error"], "dots": 0, "in_window": 0}
    length, (start, stop) = plan["length"], plan["window"]
    label = f"{length} frames" if stop - start == length else f"frames {start}-{stop - 1} of {length}"
    return {"label": label, "dots": len(plan["frames"]),
            "in_window": sum(start <= k < stop for k in plan["frames"])}


def shown_previews(page, expected: dict) -> dict:
    """The previews the editor shows (the label's frame part, before its fps), once they show `expected`
    or PREVIEW_WAIT_S has passed: a preview follows its node's inputs within a quarter second."""
    deadline = time.monotonic() + PREVIEW_WAIT_S
    while True:
        shown = {k: {**v, "label": (v["label"] or "").split(" · ")[0]} for k, v in page.evaluate(READ_PREVIEWS).items()}
        if shown == expected or time.monotonic() > deadline:
            return shown
        time.sleep(0.2)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_loads_in_the_frontend_with_no_missing_node(editor, path: Path, node_info):
    if not here(path):
        pytest.skip(f"{path.stem} is for hosts newer than this one")
    ui = load(path)
    page = editor.page
    state = page.evaluate(
        """async ([ui, name]) => {
            await window.app.loadGraphData(structuredClone(ui), true, true, name);
            const nodes = window.app.graph.nodes;
            const registered = window.LiteGraph.registered_node_types;
            const prompt = await window.app.graphToPrompt();
            return {
              missing: nodes.filter(n => !(n.type in registered)).map(n => n.type),
              vue_nodes: document.querySelectorAll('[data-node-id]').length,
              saved: Object.fromEntries(prompt.workflow.nodes.map(n => [n.id, n.widgets_values])),
              widgets: Object.fromEntries(nodes.map(n => [n.id, (n.widgets ?? []).map(w => w.name)])),
              api: prompt.output,
            };
        }""",
        [ui, path.stem],  # a name of its own: 1.58.1 keeps a same-named workflow's image previews by node id
    )
    assert state["missing"] == []
    assert (state["vue_nodes"] > 0) == editor.leg.vue_nodes  # the renderer the leg asked for draws the nodes
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
    walk_ids = [k for k, n in nodes.items() if "frame_count" in state["widgets"][k]]
    assert walk_ids or path.stem in TIMELINE_WORKFLOWS
    expected = {k: expected_preview(nodes[k]["type"], ours[k]["inputs"]) for k in walk_ids}
    assert shown_previews(page, expected) == expected
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"browser_{editor.name}_{path.stem}.png"))
    assert editor.errors == []


NODE_RECT = """(id) => {
    const own = document.querySelector(`[data-node-id="${id}"]`);
    if (own) return own.getBoundingClientRect().toJSON();
    const canvas = window.app.canvas;
    const node = window.app.graph.getNodeById(id);
    const title = window.LiteGraph.NODE_TITLE_HEIGHT;
    const [x, y] = canvas.ds.convertOffsetToCanvas([node.pos[0], node.pos[1] - title]);
    const box = canvas.canvas.getBoundingClientRect();
    const scale = canvas.ds.scale;
    return {x: box.x + x, y: box.y + y, width: node.size[0] * scale, height: (node.size[1] + title) * scale};
}"""
"""A node's box on the page: its own element in the Vue renderer, its place on the canvas in the other."""


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    """Whether the box `inner` lies within `outer` (page pixels, give or take `slack`)."""
    return all(outer[a] - slack <= inner[a] and inner[a] + inner[d] <= outer[a] + outer[d] + slack
               for a, d in (("x", "width"), ("y", "height")))


def test_walk_node_shows_its_preview_in_its_renderer(editor, node_info):
    """The seed chain walk's preview lies inside its node on the page, visible at its full height (the
    Vue renderer squeezes an element that may shrink into the node's saved size), with its plan's label
    and dots, which follow an edit of the window; a screenshot of the node is kept per leg."""
    page = editor.page
    ui = load(host.REPO / "workflows" / "meander_seed_chain_walk.json")
    (walk,) = [n for n in ui["nodes"] if n["type"] == "MeanderSeedChainWalk"]
    preview = page.evaluate(
        """async ([ui, id]) => {
            await window.app.loadGraphData(structuredClone(ui), true, true, 'meander-preview');
            const node = window.app.graph.getNodeById(id);
            window.app.canvas.ds.offset = [400 - node.pos[0], 200 - node.pos[1]];
            window.app.canvas.ds.scale = 1;
            window.app.canvas.setDirty(true, true);
            await new Promise((done) => setTimeout(done, 1000));
            const element = node.widgets.find(w => w.name === 'meander_preview').element;
            return {rect: element.getBoundingClientRect().toJSON(), visible: element.checkVisibility()};
        }""", [ui, walk["id"]])
    node = page.evaluate(NODE_RECT, walk["id"])
    assert preview["visible"]
    assert abs(preview["rect"]["height"] - PREVIEW_HEIGHT) <= 1 and preview["rect"]["width"] >= 150, preview["rect"]
    assert inside(preview["rect"], node), (preview["rect"], node)
    key = str(walk["id"])
    inputs = ui_to_api(ui, node_info)[key]["inputs"]
    expected = {key: expected_preview(walk["type"], inputs)}
    assert expected[key]["dots"] > 0
    assert shown_previews(page, expected) == expected
    page.evaluate("""(id) => { const node = window.app.graph.getNodeById(id);  // the preview follows an edit
        for (const [name, value] of [['start_frame', 48], ['frame_count', 48]])
          node.widgets.find(w => w.name === name).value = value; }""", walk["id"])
    edited = {key: expected_preview(walk["type"], {**inputs, "start_frame": 48, "frame_count": 48})}
    assert edited[key]["label"] == "frames 48-95 of 145" and 0 < edited[key]["in_window"] < edited[key]["dots"]
    assert shown_previews(page, edited) == edited
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"preview_{editor.name}.png"),
                    clip={k: node[k] for k in ("x", "y", "width", "height")})
    assert editor.errors == []


def test_every_walk_node_gets_its_plan_from_the_server(editor, node_info):
    """Each node with a start_frame / frame_count window asks /meander/walk_plan from the editor: a fresh
    node's plan is its walk object's (latent_ops.walks), or the reason a Latent Pan has none."""
    from latent_ops import walks

    kinds = sorted(n for n in host.node_classes() if n.startswith("Meander")
                   and {"start_frame", "frame_count"} <= set(node_info(n)["input"].get("required", {})))
    plans = editor.page.evaluate(
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


TOAST = ".p-toast-message, [data-testid='toast']"
"""A toast message: PrimeVue's up to frontend 1.49, the toast list item of 1.5x."""


def toast_text(page, needle: str) -> str:
    """The text of the frontend's toast message that contains `needle`, waiting for it to show."""
    toast = page.locator(TOAST, has_text=needle).first
    toast.wait_for(timeout=15_000)
    return toast.inner_text()


def click_queue_button(editor, saver_id: int) -> None:
    """Press the saver's "queue every window" button as the leg draws it: the Vue renderer's own button
    element, or on the canvas the widget's callback, which the canvas calls on a click."""
    if editor.leg.vue_nodes:
        editor.page.locator(f'[data-node-id="{saver_id}"] button', has_text="queue every window").click()
    else:
        editor.page.evaluate("""(id) => { window.app.graph.getNodeById(id).widgets
                                .find(w => w.type === 'button').callback(); }""", saver_id)


def test_queue_every_window_renders_the_whole_long_walk(editor):
    """The extension's command refuses mismatched windows with a toast and queues nothing; the saver's
    button runs it on its node: one prompt per window, widgets put back; the real server renders them
    and stitches the video."""
    page = editor.page
    folder_name = f"meander/browser_long_{editor.leg.name}"
    ui = load(host.REPO / "workflows" / "meander_long_walk.json")
    refused = page.evaluate(
        """async ([ui, ckpt, command, folder]) => {
            await window.app.loadGraphData(structuredClone(ui), true, true, 'meander-long');
            window.meanderQueued = 0;
            window.app.api.addEventListener('promptQueued', () => { window.meanderQueued += 1; });
            const nodes = window.app.graph.nodes;
            const set = (type, values) => nodes.filter(n => n.type === type).forEach(n =>
                Object.entries(values).forEach(([k, v]) => { n.widgets.find(w => w.name === k).value = v; }));
            set('CheckpointLoaderSimple', {ckpt_name: ckpt});
            set('MeanderSeedWalk', {frames: 6, frame_count: 3, width: 64, height: 64});
            set('BasicScheduler', {steps: 1});
            set('MeanderVideoSegment', {frames: 6, folder});
            const other = window.LiteGraph.createNode('MeanderNoiseLoop');
            window.app.graph.add(other);  // a second walk with another window size: refused
            await window.app.extensionManager.command.execute(command);  // acts on the graph's only saver
            window.app.graph.remove(other);
            return window.meanderQueued;
        }""",
        [ui, TEST_CHECKPOINT, "Meander.QueueEveryWindow", folder_name],
    )
    assert refused == 0
    assert "cannot queue every window" in toast_text(page, "same frame_count")
    (saver,) = [n for n in ui["nodes"] if n["type"] == "MeanderVideoSegment"]
    click_queue_button(editor, saver["id"])
    assert "Save Walk Video Segment" in toast_text(page, "queued 2 windows of the 6-frame walk")
    result = page.evaluate(
        """async () => {
            const nodes = window.app.graph.nodes;
            const saver = nodes.find(n => n.type === 'MeanderVideoSegment');
            const button = saver.widgets.find(w => w.type === 'button');
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
    assert result["saved"] == [24.0, folder_name, 0, 6, True]  # the button is not saved
    folder = editor.output_dir / folder_name
    deadline = time.monotonic() + 240
    while not list(folder.glob("*.mp4")):
        assert time.monotonic() < deadline, f"no stitched video in {folder}: {list(folder.rglob('*'))}"
        time.sleep(0.5)
    (video,) = folder.glob("*.mp4")
    segments_saved = sorted(p.name for p in (folder / video.stem).glob("*.mp4"))
    assert len(segments_saved) == 2
    assert segments.frame_count(video) == 6
    assert editor.errors == []
