/**
 * The memory view of one sequence (Graves et al. 2014, Fig. 6): what an NTM or DNC read and
 * wrote at every step, and its memory after every step, as plain arrays (browser-safe).
 * `kioku memory report` draws it as heat maps; the lab's memory page animates it step by step.
 *
 * ```ts
 * const { model, task } = loadMemoryRun('models/memory/ntm-copy.safetensors');
 * const v = memoryView(model, task, { length: 10, seed: 1 });
 * v.heads[0].weightings[3];   // [N] where the write head wrote at step 3
 * v.memory[3];                // [N·M] the memory after step 3
 * ```
 */
import { KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { DNC } from './dnc.js';
import type { MemoryModel } from './model.js';
import { NTM } from './ntm.js';
import type { MemoryTask, TaskName } from './tasks.js';
import { batchLoss } from './train.js';

/** One head's weighting over time. */
export interface HeadView {
  kind: 'write' | 'read';
  /** Index among the heads of its kind. */
  index: number;
  /** [T][N] */
  weightings: number[][];
}

export interface MemoryViewData {
  model: 'ntm' | 'dnc';
  task: TaskName;
  /** The task's length parameter of this sequence. */
  length: number;
  T: number;
  /** Memory slots N and slot width M. */
  slots: number;
  width: number;
  /** [T][I] the input sequence. */
  inputs: number[][];
  /** [T][O] σ(y_t), the network's output. */
  outputs: number[][];
  /** [T][O] targets, and 1 where a bit is scored. */
  targets: number[][];
  mask: number[][];
  /** Write heads first, then read heads. */
  heads: HeadView[];
  /** [T][N·M] the memory after each step (row-major: slot i is [i·M, (i+1)·M)). */
  memory: number[][];
  /** DNC only: [T][N] usage u_t. */
  usage?: number[][];
  /** Scored bits and how many of them the output (σ(y) > ½) gets wrong. */
  scoredBits: number;
  wrongBits: number;
}

/** Run `model` on one sequence of `task` (`Rng(seed)`, batch of 1) and record its memory view. */
export function memoryView(
  model: MemoryModel,
  task: MemoryTask,
  o: { length?: number; seed: number },
): MemoryViewData {
  if (!(model instanceof NTM) && !(model instanceof DNC)) {
    throw new KiokuError('memory view: needs an NTM or DNC model, got an LSTM (it has no memory)');
  }
  const batch = task.sample(new Rng(o.seed), 1, o.length);
  const { logits } = batchLoss(model, batch, task);
  const I = task.inputSize;
  const O = task.outputSize;
  const rows = (a: ArrayLike<number>, width: number, f = (v: number) => v): number[][] =>
    Array.from({ length: batch.T }, (_, t) => Array.from({ length: width }, (_, j) => f(a[t * width + j])));
  let scoredBits = 0;
  let wrongBits = 0;
  for (let i = 0; i < batch.y.length; i++) {
    if (!batch.mask[i]) continue;
    scoredBits++;
    if ((logits.data[i] > 0 ? 1 : 0) !== batch.y[i]) wrongBits++;
  }
  const common = {
    task: task.name,
    length: batch.length,
    T: batch.T,
    inputs: rows(batch.x, I),
    outputs: rows(logits.data, O, (v) => 1 / (1 + Math.exp(-v))),
    targets: rows(batch.y, O),
    mask: rows(batch.mask, O),
    scoredBits,
    wrongBits,
  };
  if (model instanceof NTM) {
    const tr = model.trace(0);
    const nW = model.config.writeHeads;
    return {
      ...common,
      model: 'ntm',
      slots: model.config.memorySlots,
      width: model.config.memoryWidth,
      heads: tr.weightings.map((weightings, h) =>
        h < nW ? { kind: 'write', index: h, weightings } : { kind: 'read', index: h - nW, weightings },
      ),
      memory: tr.memory.map((m) => Array.from(m)),
    };
  }
  const tr = model.trace(0);
  return {
    ...common,
    model: 'dnc',
    slots: model.config.memorySlots,
    width: model.config.memoryWidth,
    heads: [
      { kind: 'write', index: 0, weightings: tr.write },
      ...tr.read.map((weightings, index): HeadView => ({ kind: 'read', index, weightings })),
    ],
    memory: tr.memory.map((m) => Array.from(m)),
    usage: tr.usage,
  };
}

/**
 * How many slots (from 0) a view needs to show: those any head touched (weight > 0.01) plus
 * two, and at least the task length + 4, at most N.
 */
export function shownSlots(v: MemoryViewData): number {
  let last = 0;
  for (const h of v.heads)
    for (const w of h.weightings) w.forEach((x, i) => (x > 0.01 ? (last = Math.max(last, i)) : 0));
  return Math.min(v.slots, Math.max(last + 3, v.length + 4));
}

/**
 * The slots worth drawing, in display order: the shortest circular window of slot indices
 * that holds every slot a head touched (weight > 0.01), plus `margin` on each side. The NTM's
 * shift is circular (eq. 8), so a head that starts at slot 0 and walks downwards uses slots
 * N−1, N−2, …: the window then runs N−k … N−1, 0, 1 … instead of showing all N.
 */
export function slotWindow(v: MemoryViewData, margin = 2): number[] {
  const N = v.slots;
  const touched = new Array<boolean>(N).fill(false);
  for (const h of v.heads)
    for (const w of h.weightings) w.forEach((x, i) => (x > 0.01 ? (touched[i] = true) : 0));
  if (!touched.includes(true)) return Array.from({ length: Math.min(N, v.length + 4) }, (_, i) => i);
  // The longest circular run of untouched slots: [gapStart, gapStart + gapLen).
  let gapStart = 0;
  let gapLen = 0;
  for (let i = 0; i < N; i++) {
    if (touched[i] || !touched[(i + N - 1) % N]) continue; // not the start of an untouched run
    let len = 0;
    while (len < N && !touched[(i + len) % N]) len++;
    if (len > gapLen) [gapStart, gapLen] = [i, len];
  }
  const m = Math.min(margin, Math.floor(gapLen / 2));
  const first = (gapStart + gapLen - m) % N;
  return Array.from({ length: N - gapLen + 2 * m }, (_, k) => (first + k) % N);
}
