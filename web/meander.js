// Meander's editor extension: under each walk node, a live label of the frames it emits and the
// video's length at the graph's fps, and a plot of each frame's progress along the walk (the
// easing, the keyframes' spacing) with the emitted window highlighted. The preview is a DOM widget
// (node.addDOMWidget), so the canvas and the Vue node renderer ("Nodes 2.0", frontends 1.5x) both
// show it; never saved in the workflow. On Save Walk Video Segment, a button that queues every window
// of the walk, through the extension's command Meander.QueueEveryWindow (also in the command palette
// and callable as app.extensionManager.command.execute). Public frontend API only: graph.nodes,
// addDOMWidget, canvas.selectedItems, extension commands, extensionManager.toast, api.fetchApi
// (frontends 1.32 to 1.58). The preview never derives a walk: it asks the pack's route
// /meander/walk_plan, which answers with the walk object the node itself runs (latent_ops/walks.py).
import { api } from "../../scripts/api.js";
import { app } from "../../scripts/app.js";
import { walkLabel, windowPlan } from "./walk_math.js";

const PREVIEW = "meander_preview";
const PREVIEW_HEIGHT = 96;
const REFRESH_MS = 250;
const DEFAULT_FPS = 24;
const FPS_NODES = ["CreateVideo", "SaveAnimatedWEBP", "SaveAnimatedPNG"];

const PLAN_ROUTE = "/meander/walk_plan";

/** Widget values by name; a linked input as its link [origin id, slot], an unconnected socket as null. */
function walkInputs(node) {
  const values = {};
  for (const w of node.widgets ?? []) if (w.name && w.name !== PREVIEW) values[w.name] = w.value;
  (node.inputs ?? []).forEach((input, slot) => {
    const link = input.link != null ? node.getInputLink(slot) : null;
    if (link) values[input.name] = [String(link.origin_id), link.origin_slot];
    else if (!input.widget) values[input.name] = null;
  });
  return values;
}

function graphFps(node) {
  for (const other of node.graph?.nodes ?? []) {
    if (!FPS_NODES.includes(other.type)) continue;
    const fps = other.widgets?.find((w) => w.name === "fps")?.value;
    if (typeof fps === "number" && fps > 0) return fps;
  }
  return DEFAULT_FPS;
}

function isWalk(node) {
  return Boolean(node.widgets?.some((w) => w.name === "start_frame") && node.widgets?.some((w) => w.name === "frame_count"));
}

/** The server's plan of a walk node ({length, window, frames, progress} or {error}), cached per inputs. */
const plans = new WeakMap();

async function fetchPlan(node) {
  const body = JSON.stringify({ node_type: node.comfyClass, inputs: walkInputs(node) });
  const cached = plans.get(node);
  if (cached?.body === body && cached.plan) return cached.plan;
  const response = await api.fetchApi(PLAN_ROUTE, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  const plan = await response.json();
  plans.set(node, { body, plan });
  return plan;
}

/** The last plan of this node's current inputs, asking the server for a new one when they changed. */
function currentPlan(node) {
  const body = JSON.stringify({ node_type: node.comfyClass, inputs: walkInputs(node) });
  const cached = plans.get(node);
  if (cached?.body !== body && !cached?.pending) {
    plans.set(node, { ...cached, pending: true });
    fetchPlan(node)
      .catch((error) => plans.set(node, { body, plan: { error: `no walk plan from the server: ${error}` } }))
      .finally(() => showPreview(node));
  }
  return cached?.plan ?? null;
}

const NO_PLAN = { frames: [], progress: [], length: 0, window: [0, 0] };

/** The preview state of a walk node: label text, the plotted frames' progress and the emitted window. */
function previewOf(node) {
  const plan = currentPlan(node);
  if (!plan) return { label: "…", ...NO_PLAN };
  if (plan.error) return { label: plan.error, ...NO_PLAN };
  return { label: walkLabel(plan.length, plan.window, graphFps(node)), ...plan };
}

/** The preview's element: the label over a box in which each plotted frame is a dot. */
function previewElement() {
  const root = document.createElement("div");
  root.className = "meander-preview";
  // min-height: the Vue renderer would shrink the preview into the node's saved size
  root.style.cssText = `height:${PREVIEW_HEIGHT}px;min-height:${PREVIEW_HEIGHT}px;box-sizing:border-box;` +
    "padding:0 15px;pointer-events:none;font:12px sans-serif;color:#ddd;display:flex;flex-direction:column;gap:6px";
  const label = document.createElement("div");
  label.className = "meander-preview-label";
  label.style.cssText = "white-space:nowrap;overflow:hidden;text-overflow:ellipsis;line-height:16px";
  const plot = document.createElement("div");
  plot.className = "meander-preview-plot";
  plot.style.cssText = "position:relative;flex:1;border:1px solid #555;margin-bottom:8px";
  root.append(label, plot);
  return root;
}

/** One dot: frame k of a walk of `length` frames at progress t, blue inside the emitted window. */
function frameDot(k, t, length, [start, stop]) {
  const dot = document.createElement("span");
  const inWindow = k >= start && k < stop;
  dot.className = inWindow ? "meander-preview-dot meander-in-window" : "meander-preview-dot";
  const x = length > 1 ? (k / (length - 1)) * 100 : 50;
  dot.style.cssText = `position:absolute;left:${x}%;top:${(1 - t) * 100}%;width:3px;height:3px;` +
    `margin:-1.5px 0 0 -1.5px;background:${inWindow ? "#7fd4ff" : "#666"}`;
  return dot;
}

/** The state each preview element shows, as JSON. */
const shown = new WeakMap();

/** Show a preview state in the element; nothing is touched while the state is unchanged. */
function renderPreview(element, state) {
  const key = JSON.stringify(state);
  if (shown.get(element) === key) return;
  shown.set(element, key);
  element.querySelector(".meander-preview-label").textContent = state.label;
  const dots = state.progress.map((t, i) => frameDot(state.frames[i], t, state.length, state.window));
  element.querySelector(".meander-preview-plot").replaceChildren(...dots);
}

/** Bring a walk node's preview up to date with its inputs (a no-op on any other node). */
function showPreview(node) {
  const preview = widget(node, PREVIEW);
  if (preview?.element) renderPreview(preview.element, previewOf(node));
}

/** Every REFRESH_MS, the previews of the shown graph follow their nodes' inputs and the graph's fps. */
function refreshPreviews() {
  for (const node of app.canvas?.graph?.nodes ?? app.graph?.nodes ?? []) showPreview(node);
}

/**
 * Add the preview under a walk node: a DOM widget (node.addDOMWidget), which both the canvas and the
 * Vue node renderer ("Nodes 2.0") show; a canvas-drawn widget is drawn once there and never again.
 */
function addPreview(node) {
  const preview = node.addDOMWidget(PREVIEW, PREVIEW, previewElement(), {
    serialize: false,
    hideOnZoom: false,
    getMinHeight: () => PREVIEW_HEIGHT,
    getMaxHeight: () => PREVIEW_HEIGHT,
  });
  preview.serialize = false;
  renderPreview(preview.element, { label: "…", ...NO_PLAN });
  node.setSize(node.computeSize());
}

const SEGMENT_SAVER = "MeanderVideoSegment";
const QUEUE_ALL = "queue every window";

function widget(node, name) {
  return node.widgets?.find((w) => w.name === name);
}

/** Why the graph's windows cannot be queued, or null: the walks, their window size and the saver's frames. */
async function windowProblem(saver, walks, total, batch) {
  if (!walks.length) return "no walk node (one with start_frame and frame_count) in the graph";
  if (new Set(walks.map((w) => widget(w, "frame_count").value)).size !== 1)
    return "give every walk node the same frame_count (the window size)";
  for (const walk of walks) {
    const plan = await fetchPlan(walk);
    if (plan.length && plan.length !== total)
      return `the walk has ${plan.length} frames but the saver's frames is ${total}: make them equal`;
  }
  if (!(batch >= 1)) return "set frame_count on the walk to the window size (frames per queue), not 0";
  const unfixed = (saver.graph?.nodes ?? []).flatMap((n) =>
    (n.widgets ?? []).filter((w) => w.name === "control_after_generate" && w.value !== "fixed").map(() => n.title));
  if (unfixed.length)
    return `set "control after generate" to fixed on ${unfixed.join(", ")}: a seed that changes between windows makes another walk`;
  return null;
}

const SAVER_TITLE = "Save Walk Video Segment";
const QUEUE_COMMAND = "Meander.QueueEveryWindow";

function toast(severity, summary, detail) {
  app.extensionManager.toast.add({ severity, summary, detail, life: 8000 });
}

/** The saver the command acts on: the one it was given, else the only one selected, else the only one shown. */
function chosenSaver(metadata) {
  if (metadata?.node) return metadata.node;
  const isSaver = (n) => n?.comfyClass === SEGMENT_SAVER;
  const selected = [...(app.canvas?.selectedItems ?? [])].filter(isSaver);
  if (selected.length === 1) return selected[0];
  const shown = (app.canvas?.graph?.nodes ?? []).filter(isSaver);
  return !selected.length && shown.length === 1 ? shown[0] : null;
}

/**
 * Queue the whole walk, one prompt per window: set every walk's start_frame / frame_count and the
 * saver's start_frame, queue, repeat; then put the widgets back. The saver keeps segments already
 * saved and stitches once all are there. Progress shows as the button's label (its name stays,
 * so the button can be found again).
 */
async function queueEveryWindow(saver) {
  const walks = (saver.graph?.nodes ?? []).filter(isWalk);
  const total = widget(saver, "frames").value;
  const batch = walks.length ? widget(walks[0], "frame_count").value : 0;
  const problem = await windowProblem(saver, walks, total, batch);
  if (problem) {
    toast("warn", `${SAVER_TITLE}: cannot queue every window`, `${problem}.`);
    return;
  }
  const button = widget(saver, QUEUE_ALL);
  const touched = [...walks.flatMap((n) => [widget(n, "start_frame"), widget(n, "frame_count")]), widget(saver, "start_frame")];
  const before = touched.map((w) => w.value);
  const windows = windowPlan(total, batch);
  try {
    for (const [k, [start, stop]] of windows.entries()) {
      for (const walk of walks) {
        widget(walk, "start_frame").value = start;
        widget(walk, "frame_count").value = stop - start;
      }
      widget(saver, "start_frame").value = start;
      if (button) button.label = `queueing window ${k + 1} of ${windows.length}`;
      await app.queuePrompt(0, 1);
    }
  } finally {
    touched.forEach((w, i) => (w.value = before[i]));
    if (button) button.label = undefined;
    saver.setDirtyCanvas(true, true);
  }
  toast("success", SAVER_TITLE, `queued ${windows.length} windows of the ${total}-frame walk; the video is stitched once every segment is saved`);
}

async function runQueueCommand(metadata) {
  const saver = chosenSaver(metadata);
  if (!saver) {
    toast("warn", `${SAVER_TITLE}: cannot queue every window`, `select the ${SAVER_TITLE} node whose windows to queue.`);
    return;
  }
  await queueEveryWindow(saver);
}

app.registerExtension({
  name: "meander.walkPreview",
  commands: [
    {
      id: QUEUE_COMMAND,
      label: `Queue every window of the walk (${SAVER_TITLE})`,
      icon: "pi pi-play",
      function: runQueueCommand,
    },
  ],
  setup() {
    setInterval(refreshPreviews, REFRESH_MS);
  },
  nodeCreated(node) {
    if (node.comfyClass === SEGMENT_SAVER) {
      // The button runs the command on its own node: the same path as the palette and the tests.
      const run = () => app.extensionManager.command.execute(QUEUE_COMMAND, { metadata: { node } });
      const button = node.addWidget("button", QUEUE_ALL, null, run, { serialize: false });
      button.serialize = false;
      return;
    }
    if (isWalk(node)) addPreview(node);
  },
});
