// Frame counts and easing of Meander walks, for the editor's previews. Pure functions: the same
// formulas as latent_ops/schedule.py (the tests compare the two).

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

/** Total frames of a walk node from its widget values (by name), or null if it is no walk. */
export function totalFrames(values) {
  if (values.frames === undefined) return null;
  return Math.max(0, Math.floor(values.frames));
}

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
