// Meander's editor extension: under each walk node, a live label of the frames it emits and the
// video's length at the graph's fps, and a plot of each frame's progress along the walk (the
// easing, the keyframes' spacing) with the emitted window highlighted. Drawn on the canvas; never
// saved in the workflow. On Save Walk Video Segment, a button that queues every window of the walk.
import { app } from "../../scripts/app.js";
import { WALKS, emittedWindow, walkLabel, windowPlan } from "./walk_math.js";

const PREVIEW = "meander_preview";
const PREVIEW_HEIGHT = 96;
const DEFAULT_FPS = 24;
const FPS_NODES = ["CreateVideo", "SaveAnimatedWEBP", "SaveAnimatedPNG"];

const NO_PLAN = { MeanderLatentPan: "frame count follows the input latents" };

function widgetValues(node) {
  const values = {};
  for (const w of node.widgets ?? []) if (w.name) values[w.name] = w.value;
  values.linked_keyframes = (node.inputs ?? []).filter((i) => i.type === "CONDITIONING" && i.link != null).length;
  return values;
}

function graphFps(node) {
  for (const other of node.graph?._nodes ?? []) {
    if (!FPS_NODES.includes(other.type)) continue;
    const fps = widgetValues(other).fps;
    if (typeof fps === "number" && fps > 0) return fps;
  }
  return DEFAULT_FPS;
}

/** The preview state of a walk node: label text and the walk progress of each frame to plot. */
function previewOf(node) {
  const values = widgetValues(node);
  const plan = WALKS[node.comfyClass]?.(values);
  if (!plan) {
    const label = NO_PLAN[node.comfyClass] ?? "no frames: check the walk's settings";
    return { label, times: [], window: [0, 0] };
  }
  const window = emittedWindow(plan.total, values);
  return { label: walkLabel(plan.total, window, graphFps(node)), times: plan.progress, window };
}

function drawPreview(ctx, node, width, y) {
  const state = previewOf(node);
  const x0 = 15;
  const w = width - 30;
  ctx.save();
  ctx.fillStyle = "#ddd";
  ctx.font = "12px sans-serif";
  ctx.fillText(state.label, x0, y + 14);
  const top = y + 22;
  const h = PREVIEW_HEIGHT - 30;
  ctx.strokeStyle = "#555";
  ctx.strokeRect(x0, top, w, h);
  const n = state.times.length;
  const [start, stop] = state.window;
  state.times.forEach((t, k) => {
    const px = x0 + (n > 1 ? (k / (n - 1)) * w : w / 2);
    const py = top + h - t * h;
    ctx.fillStyle = k >= start && k < stop ? "#7fd4ff" : "#666";
    ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
  });
  ctx.restore();
}

const SEGMENT_SAVER = "MeanderVideoSegment";
const QUEUE_ALL = "queue every window";

function widget(node, name) {
  return node.widgets?.find((w) => w.name === name);
}

/** Why the graph's windows cannot be queued, or null: the walks, their window size and the saver's frames. */
function windowProblem(saver, walks, total, batch) {
  if (!walks.length) return "no walk node (one with start_frame and frame_count) in the graph";
  if (new Set(walks.map((w) => widget(w, "frame_count").value)).size !== 1)
    return "give every walk node the same frame_count (the window size)";
  for (const walk of walks) {
    const plan = WALKS[walk.comfyClass]?.(widgetValues(walk));
    if (plan && plan.total !== total)
      return `the walk has ${plan.total} frames but the saver's frames is ${total}: make them equal`;
  }
  if (!(batch >= 1)) return "set frame_count on the walk to the window size (frames per queue), not 0";
  const unfixed = (saver.graph?._nodes ?? []).flatMap((n) =>
    (n.widgets ?? []).filter((w) => w.name === "control_after_generate" && w.value !== "fixed").map(() => n.title));
  if (unfixed.length)
    return `set "control after generate" to fixed on ${unfixed.join(", ")}: a seed that changes between windows makes another walk`;
  return null;
}

/**
 * Queue the whole walk, one prompt per window: set every walk's start_frame / frame_count and the
 * saver's start_frame, queue, repeat; then put the widgets back. The saver keeps segments already
 * saved and stitches once all are there.
 */
async function queueEveryWindow(saver, button) {
  const walks = (saver.graph?._nodes ?? []).filter((n) => widget(n, "start_frame") && widget(n, "frame_count"));
  const total = widget(saver, "frames").value;
  const batch = walks.length ? widget(walks[0], "frame_count").value : 0;
  const problem = windowProblem(saver, walks, total, batch);
  if (problem) {
    alert(`Save Walk Video Segment: cannot queue every window: ${problem}.`);
    return 0;
  }
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
      button.name = `queueing window ${k + 1} of ${windows.length}`;
      await app.queuePrompt(0, 1);
    }
  } finally {
    touched.forEach((w, i) => (w.value = before[i]));
    button.name = QUEUE_ALL;
    saver.setDirtyCanvas(true, true);
  }
  return windows.length;
}

app.registerExtension({
  name: "meander.walkPreview",
  nodeCreated(node) {
    if (node.comfyClass === SEGMENT_SAVER) {
      const button = node.addWidget("button", QUEUE_ALL, null, () => queueEveryWindow(node, button), { serialize: false });
      button.serialize = false;
      node.meanderQueueEveryWindow = () => queueEveryWindow(node, button);
      return;
    }
    if (!(node.comfyClass in WALKS)) return;
    node.addCustomWidget({
      name: PREVIEW,
      type: PREVIEW,
      value: null,
      serialize: false,
      options: { serialize: false },
      draw: (ctx, n, width, y) => drawPreview(ctx, n, width, y),
      computeSize: (width) => [width, PREVIEW_HEIGHT],
    });
    node.setSize(node.computeSize());
  },
});
