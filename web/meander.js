// Meander's editor extension: under each walk node, a live label of the frames it emits and the
// video's length at the graph's fps, and a plot of each frame's progress along the walk (the
// easing, the keyframes' spacing) with the emitted window highlighted. Drawn on the canvas; never
// saved in the workflow.
import { app } from "../../scripts/app.js";
import { WALKS, emittedWindow, walkLabel } from "./walk_math.js";

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

app.registerExtension({
  name: "meander.walkPreview",
  nodeCreated(node) {
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
