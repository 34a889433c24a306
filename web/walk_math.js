// What the editor derives itself, with no walk formula in it: the label under a walk node and the
// windows of the "queue every window" button. A walk's length, window and frame progress come from
// the server (POST /meander/walk_plan, answered by latent_ops/walks.py): see meander.js.

/** The label under a walk node: frames emitted and the video's length at fps. */
export function walkLabel(total, window, fps) {
  const [start, stop] = window;
  const n = stop - start;
  const seconds = fps > 0 ? n / fps : 0;
  const part = n === total ? `${total} frames` : `frames ${start}-${stop - 1} of ${total}`;
  return `${part} · ${seconds.toFixed(2)} s at ${fps} fps`;
}

/** [start, stop) windows of at most `batch` frames covering [0, total), in order (video_ops.segments.plan). */
export function windowPlan(total, batch) {
  if (!(total >= 1) || !(batch >= 1)) return [];
  const out = [];
  for (let start = 0; start < total; start += batch) out.push([start, Math.min(start + batch, total)]);
  return out;
}
