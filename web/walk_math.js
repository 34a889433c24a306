// Frame counts, frame times and easing of Meander walks, for the editor's previews. Pure
// functions with the same formulas as latent_ops/ (schedule.py, windows.py, embedding.py); the
// tests compare the two.

export const EASINGS = {
  linear: (t) => t,
  smoothstep: (t) => t * t * (3 - 2 * t),
  cosine: (t) => (1 - Math.cos(Math.PI * t)) / 2,
  ease_in: (t) => t * t,
  ease_out: (t) => 1 - (1 - t) ** 2,
};

/** e(t) of the named easing, clamped to [0, 1]; linear for an unknown name. */
export function ease(t, easing) {
  const fn = EASINGS[easing] ?? EASINGS.linear;
  return Math.min(1, Math.max(0, fn(t)));
}

/** Frame times of one segment: k / (N - 1) for an open walk, k / N for a closed one. */
export function frameTimes(frames, closed = false) {
  const n = Math.max(1, Math.floor(frames));
  const d = closed ? n : Math.max(n - 1, 1);
  return Array.from({ length: n }, (_, k) => k / d);
}

/** How many seeds a list like "1337, 42, 7" holds. */
export function countSeeds(text) {
  return String(text ?? "").trim().split(/[\s,;]+/).filter(Boolean).length;
}

/** Sorted keyframe frames of a prompt schedule ("0: a dog" per line). */
export function keyframePositions(text) {
  const found = new Set();
  for (const line of String(text ?? "").split("\n")) {
    const m = line.trim().match(/^["']?(\d+)["']?\s*:/);
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b);
}

/** Frames of a chain of K keyframes, F per segment: (K - 1) F + 1 open, K F closed. */
export function chainLength(keys, perSegment, closed) {
  if (keys < 2 || perSegment < 1) return null;
  return closed ? keys * perSegment : (keys - 1) * perSegment + 1;
}

/** Walk progress in [0, 1] of each frame through keyframes at `positions` (eased per segment). */
export function keyframeProgress(positions, total, closed, easing) {
  const k = positions.length;
  const segments = closed ? k : k - 1;
  return Array.from({ length: total }, (_, f) => {
    let i = -1;
    while (i + 1 < k && positions[i + 1] <= f) i += 1;
    if (i >= 0 && i < k - 1) {
      const t = (f - positions[i]) / (positions[i + 1] - positions[i]);
      return (i + ease(t, easing)) / segments;
    }
    if (!closed) return i < 0 ? 0 : 1;
    const length = total - positions[k - 1] + positions[0];
    const offset = i === k - 1 ? f - positions[k - 1] : f + total - positions[k - 1];
    return (k - 1 + ease(offset / length, easing)) / segments;
  });
}

/** Frames of a pan over K latents of S latent pixels (windows.pan_length). */
export function panLength(count, size, stride, loop, pingPong) {
  if (!(stride > 0) || size < 1) return null;
  const snap = 1e-9;
  if (loop) return count >= 1 && !pingPong ? Math.max(1, Math.ceil((count * size) / stride - snap)) : null;
  if (count < 2) return null;
  const n = Math.ceil(((count - 1) * size) / stride - snap) + 1;
  return pingPong ? 2 * n - 2 : n;
}

function panProgress(values, count, size) {
  const total = panLength(count, size, values.stride, values.loop, values.ping_pong);
  if (!total) return null;
  if (values.loop) return { total, progress: frameTimes(total, true).map((t) => ease(t, values.easing)) };
  const n = values.ping_pong ? (total + 2) / 2 : total;
  const forward = frameTimes(n).map((t) => ease(t, values.easing));
  const progress = values.ping_pong ? [...forward, ...forward.slice(1, -1).reverse()] : forward;
  return { total, progress };
}

function plain(total, times) {
  return total > 0 ? { total, progress: times } : null;
}

/** Per node type: widget values (and linked keyframe count) -> {total, progress} or null. */
export const WALKS = {
  MeanderSeedWalk: (v) => plain(v.frames, frameTimes(v.frames).map((t) => ease(t, v.easing))),
  MeanderTimedSeedWalk: (v) => plain(v.frames, frameTimes(v.frames)),
  MeanderNoiseLoop: (v) => plain(v.frames, frameTimes(v.frames, true)),
  MeanderPromptCircle: (v) => plain(v.frames, frameTimes(v.frames, true)),
  MeanderPromptDrift: (v) => plain(v.frames, frameTimes(v.frames)),
  MeanderSeedChainWalk: (v) => {
    const keys = countSeeds(v.seeds);
    const total = chainLength(keys, v.frames_per_segment, v.closed);
    if (!total) return null;
    const positions = Array.from({ length: keys }, (_, i) => i * v.frames_per_segment);
    return { total, progress: keyframeProgress(positions, total, v.closed, v.easing) };
  },
  MeanderConditioningTravel: (v) => {
    const total = chainLength(v.linked_keyframes, v.frames_per_segment, v.loop);
    if (!total) return null;
    const positions = Array.from({ length: v.linked_keyframes }, (_, i) => i * v.frames_per_segment);
    return { total, progress: keyframeProgress(positions, total, v.loop, v.easing) };
  },
  MeanderPromptTravel: (v) => {
    const positions = keyframePositions(v.schedule);
    if (!positions.length) return null;
    const total = v.frames > 0 ? v.frames : positions[positions.length - 1] + 1;
    if (positions[positions.length - 1] >= total) return null;
    return { total, progress: keyframeProgress(positions, total, v.loop, v.easing) };
  },
  MeanderNoisePan: (v) => panProgress(v, countSeeds(v.seeds), Math.floor((v.axis === "height" ? v.height : v.width) / 8)),
  MeanderLatentPan: () => null,
};

/** [start, stop) of the frames a node emits: start_frame and frame_count (0 = to the end). */
export function emittedWindow(total, values) {
  const start = Math.min(Math.max(0, values.start_frame ?? 0), total);
  const count = values.frame_count ?? 0;
  const stop = count > 0 ? Math.min(total, start + count) : total;
  return [start, stop];
}

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
