/**
 * Seeded generators for the algorithmic tasks of the NTM paper (Graves, Wayne & Danihelka
 * 2014, §4: copy, repeat copy, associative recall, priority sort) and a graph traversal
 * task for the DNC in the spirit of its London Underground experiment (Graves et al. 2016).
 *
 * Every generator returns one batch whose rows share a length: inputs x [T, B, inputSize],
 * targets y [T, B, outputSize] in {0, 1}, and a mask [T, B, outputSize] that is 1 where the
 * model is scored (the answer phase). Outputs are bits scored with a sigmoid/BCE, as in the paper.
 *
 * ```ts
 * const task = makeTask('copy', { bits: 8, minLength: 1, maxLength: 20 });
 * const batch = task.sample(new Rng(0), 16);          // random length in [1, 20]
 * const fixed = task.sample(new Rng(0), 4, 40);       // length 40 (generalisation test)
 * ```
 */
import { KiokuError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';

export const TASK_NAMES = ['copy', 'repeat-copy', 'recall', 'sort', 'graph'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export interface MemoryBatch {
  T: number;
  B: number;
  x: Float32Array; // [T, B, inputSize]
  y: Float32Array; // [T, B, outputSize]
  mask: Float32Array; // [T, B, outputSize]
  /** The task's length parameter this batch was drawn with (sequence length, items, hops). */
  length: number;
}

export interface TaskOptions {
  /** Width of the random bit vectors (paper: 8 for copy, 6 for recall). */
  bits?: number;
  /** Training range of the length parameter (sequence length, item count, …). */
  minLength?: number;
  maxLength?: number;
}

export interface MemoryTask {
  readonly name: TaskName;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly minLength: number;
  readonly maxLength: number;
  /** A batch of B rows; `length` fixes the length parameter (else uniform in the training range). */
  sample(rng: Rng, B: number, length?: number): MemoryBatch;
}

function alloc(T: number, B: number, I: number, O: number, length: number): MemoryBatch {
  return {
    T,
    B,
    x: new Float32Array(T * B * I),
    y: new Float32Array(T * B * O),
    mask: new Float32Array(T * B * O),
    length,
  };
}

function pickLength(rng: Rng, lo: number, hi: number, length: number | undefined, where: string): number {
  if (length === undefined) return lo + rng.int(hi - lo + 1);
  if (!Number.isInteger(length) || length < 1) {
    throw new KiokuError(`${where}: length must be a positive integer, got ${length}`);
  }
  return length;
}

function randomBits(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
}

/**
 * Copy (§4.1): L random `bits`-bit vectors, a delimiter on an extra channel, then the
 * network must reproduce the L vectors with no further input. T = 2L + 1.
 */
export class CopyTask implements MemoryTask {
  readonly name = 'copy' as const;
  readonly bits: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly minLength: number;
  readonly maxLength: number;

  constructor(o: TaskOptions = {}) {
    this.bits = o.bits ?? 8;
    this.minLength = o.minLength ?? 1;
    this.maxLength = o.maxLength ?? 20;
    this.inputSize = this.bits + 1;
    this.outputSize = this.bits;
  }

  sample(rng: Rng, B: number, length?: number): MemoryBatch {
    const L = pickLength(rng, this.minLength, this.maxLength, length, 'CopyTask.sample');
    const I = this.inputSize;
    const O = this.outputSize;
    const T = 2 * L + 1;
    const out = alloc(T, B, I, O, L);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < L; t++) {
        const v = randomBits(rng, this.bits);
        for (let j = 0; j < this.bits; j++) {
          out.x[(t * B + b) * I + j] = v[j];
          out.y[((L + 1 + t) * B + b) * O + j] = v[j];
          out.mask[((L + 1 + t) * B + b) * O + j] = 1;
        }
      }
      out.x[(L * B + b) * I + this.bits] = 1; // delimiter
    }
    return out;
  }
}

/**
 * Repeat copy (§4.2): a sequence of L vectors, then a step whose extra channel holds the
 * repeat count n (normalised by `maxRepeats`); the target is the sequence n times followed
 * by an end marker on an extra output channel. The length parameter is L; n is drawn in
 * [1, maxRepeats]. T = L + 1 + nL + 1.
 */
export class RepeatCopyTask implements MemoryTask {
  readonly name = 'repeat-copy' as const;
  readonly bits: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly minLength: number;
  readonly maxLength: number;
  readonly maxRepeats: number;

  constructor(o: TaskOptions & { maxRepeats?: number } = {}) {
    this.bits = o.bits ?? 8;
    this.minLength = o.minLength ?? 1;
    this.maxLength = o.maxLength ?? 10;
    this.maxRepeats = o.maxRepeats ?? 10;
    this.inputSize = this.bits + 2; // bits, start delimiter, repeat count
    this.outputSize = this.bits + 1; // bits, end marker
  }

  sample(rng: Rng, B: number, length?: number, repeats?: number): MemoryBatch {
    const L = pickLength(rng, this.minLength, this.maxLength, length, 'RepeatCopyTask.sample');
    const n = repeats ?? 1 + rng.int(this.maxRepeats);
    const I = this.inputSize;
    const O = this.outputSize;
    const T = L + 1 + n * L + 1;
    const out = alloc(T, B, I, O, L);
    for (let b = 0; b < B; b++) {
      const seq = Array.from({ length: L }, () => randomBits(rng, this.bits));
      for (let t = 0; t < L; t++) for (let j = 0; j < this.bits; j++) out.x[(t * B + b) * I + j] = seq[t][j];
      out.x[(L * B + b) * I + this.bits] = 1;
      out.x[(L * B + b) * I + this.bits + 1] = n / this.maxRepeats;
      for (let k = 0; k < n; k++) {
        for (let t = 0; t < L; t++) {
          const row = ((L + 1 + k * L + t) * B + b) * O;
          for (let j = 0; j < this.bits; j++) out.y[row + j] = seq[t][j];
          out.mask.fill(1, row, row + O);
        }
      }
      const end = ((T - 1) * B + b) * O;
      out.y[end + this.bits] = 1;
      out.mask.fill(1, end, end + O);
    }
    return out;
  }
}

/**
 * Associative recall (§4.3): k items of `itemLength` vectors, each item introduced by a
 * delimiter on channel `bits`; then a query (a copy of one item but the last) introduced
 * on channel `bits + 1`; the target is the item that followed the query. The length
 * parameter is k (paper: 2–6 in training).
 */
export class RecallTask implements MemoryTask {
  readonly name = 'recall' as const;
  readonly bits: number;
  readonly itemLength: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly minLength: number;
  readonly maxLength: number;

  constructor(o: TaskOptions & { itemLength?: number } = {}) {
    this.bits = o.bits ?? 6;
    this.itemLength = o.itemLength ?? 3;
    this.minLength = o.minLength ?? 2;
    this.maxLength = o.maxLength ?? 6;
    if (this.minLength < 2)
      throw new KiokuError(`RecallTask: minLength must be ≥ 2 items, got ${this.minLength}`);
    this.inputSize = this.bits + 2;
    this.outputSize = this.bits;
  }

  sample(rng: Rng, B: number, length?: number): MemoryBatch {
    const k = pickLength(rng, this.minLength, this.maxLength, length, 'RecallTask.sample');
    if (k < 2) throw new KiokuError(`RecallTask.sample: needs at least 2 items, got ${k}`);
    const I = this.inputSize;
    const O = this.outputSize;
    const il = this.itemLength;
    const T = (k + 1) * (il + 1) + il;
    const out = alloc(T, B, I, O, k);
    for (let b = 0; b < B; b++) {
      const items = Array.from({ length: k }, () =>
        Array.from({ length: il }, () => randomBits(rng, this.bits)),
      );
      const q = rng.int(k - 1);
      const put = (t0: number, item: number[][], delim: number): void => {
        out.x[(t0 * B + b) * I + this.bits + delim] = 1;
        for (let s = 0; s < il; s++)
          for (let j = 0; j < this.bits; j++) out.x[((t0 + 1 + s) * B + b) * I + j] = item[s][j];
      };
      for (let i = 0; i < k; i++) put(i * (il + 1), items[i], 0);
      put(k * (il + 1), items[q], 1);
      const a0 = (k + 1) * (il + 1);
      for (let s = 0; s < il; s++) {
        const row = ((a0 + s) * B + b) * O;
        for (let j = 0; j < this.bits; j++) out.y[row + j] = items[q + 1][s][j];
        out.mask.fill(1, row, row + O);
      }
    }
    return out;
  }
}

/**
 * Priority sort (§4.5): n random vectors, each with a priority in [−1, 1] on an extra
 * channel, then a delimiter; the target is the `outputs` highest-priority vectors in
 * descending priority. Paper: 20 in, 16 out; the length parameter is n and
 * outputs = round(0.8 n).
 */
export class SortTask implements MemoryTask {
  readonly name = 'sort' as const;
  readonly bits: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly minLength: number;
  readonly maxLength: number;

  constructor(o: TaskOptions = {}) {
    this.bits = o.bits ?? 8;
    this.minLength = o.minLength ?? 20;
    this.maxLength = o.maxLength ?? 20;
    this.inputSize = this.bits + 2;
    this.outputSize = this.bits;
  }

  sample(rng: Rng, B: number, length?: number): MemoryBatch {
    const n = pickLength(rng, this.minLength, this.maxLength, length, 'SortTask.sample');
    const k = Math.max(1, Math.round(0.8 * n));
    const I = this.inputSize;
    const O = this.outputSize;
    const T = n + 1 + k;
    const out = alloc(T, B, I, O, n);
    for (let b = 0; b < B; b++) {
      const vs = Array.from({ length: n }, () => ({
        v: randomBits(rng, this.bits),
        p: rng.uniformRange(-1, 1),
      }));
      for (let t = 0; t < n; t++) {
        for (let j = 0; j < this.bits; j++) out.x[(t * B + b) * I + j] = vs[t].v[j];
        out.x[(t * B + b) * I + this.bits] = vs[t].p;
      }
      out.x[(n * B + b) * I + this.bits + 1] = 1;
      const sorted = [...vs].sort((a, c) => c.p - a.p);
      for (let t = 0; t < k; t++) {
        const row = ((n + 1 + t) * B + b) * O;
        for (let j = 0; j < this.bits; j++) out.y[row + j] = sorted[t].v[j];
        out.mask.fill(1, row, row + O);
      }
    }
    return out;
  }
}

/**
 * Graph traversal for the DNC (after the paper's London Underground task, scaled down):
 * a random directed graph on `nodes` nodes where every node has one outgoing edge per
 * label (`labels` of them, like lines through a station). The edges are presented one per
 * step as (source one-hot, label one-hot, destination one-hot); then a query gives a start
 * node and a path of `hops` labels, one label per step; in the answer phase the network
 * must output the node reached after each hop (one-hot). The length parameter is the
 * number of hops (paper: up to 4 in training, longer at test).
 */
export class GraphTask implements MemoryTask {
  readonly name = 'graph' as const;
  readonly nodes: number;
  readonly labels: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly minLength: number;
  readonly maxLength: number;

  constructor(o: TaskOptions & { nodes?: number; labels?: number } = {}) {
    this.nodes = o.nodes ?? o.bits ?? 6;
    this.labels = o.labels ?? 2;
    this.minLength = o.minLength ?? 1;
    this.maxLength = o.maxLength ?? 3;
    // [source V | label K | destination V | phase flags: edge, query, answer]
    this.inputSize = 2 * this.nodes + this.labels + 3;
    this.outputSize = this.nodes;
  }

  sample(rng: Rng, B: number, length?: number): MemoryBatch {
    const hops = pickLength(rng, this.minLength, this.maxLength, length, 'GraphTask.sample');
    const V = this.nodes;
    const K = this.labels;
    const I = this.inputSize;
    const O = this.outputSize;
    const E = V * K;
    const T = E + hops + hops;
    const out = alloc(T, B, I, O, hops);
    const flag = 2 * V + K;
    for (let b = 0; b < B; b++) {
      const next = Array.from({ length: V }, () => Array.from({ length: K }, () => rng.int(V)));
      // Edges in a random order.
      const edges = Array.from({ length: E }, (_, e) => e);
      for (let i = E - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [edges[i], edges[j]] = [edges[j], edges[i]];
      }
      for (let t = 0; t < E; t++) {
        const src = Math.floor(edges[t] / K);
        const lab = edges[t] % K;
        const row = (t * B + b) * I;
        out.x[row + src] = 1;
        out.x[row + V + lab] = 1;
        out.x[row + V + K + next[src][lab]] = 1;
        out.x[row + flag] = 1;
      }
      let node = rng.int(V);
      const path = Array.from({ length: hops }, () => rng.int(K));
      for (let h = 0; h < hops; h++) {
        const row = ((E + h) * B + b) * I;
        if (h === 0) out.x[row + node] = 1;
        out.x[row + V + path[h]] = 1;
        out.x[row + flag + 1] = 1;
      }
      for (let h = 0; h < hops; h++) {
        node = next[node][path[h]];
        const t = E + hops + h;
        out.x[(t * B + b) * I + flag + 2] = 1;
        const row = (t * B + b) * O;
        out.y[row + node] = 1;
        out.mask.fill(1, row, row + O);
      }
    }
    return out;
  }
}

/** Build a task by name with its defaults (paper sizes, overridable). */
export function makeTask(name: string, o: TaskOptions = {}): MemoryTask {
  switch (name) {
    case 'copy':
      return new CopyTask(o);
    case 'repeat-copy':
      return new RepeatCopyTask(o);
    case 'recall':
      return new RecallTask(o);
    case 'sort':
      return new SortTask(o);
    case 'graph':
      return new GraphTask(o);
    default:
      throw new KiokuError(
        `memory task must be one of ${TASK_NAMES.join(', ')}, got ${JSON.stringify(name)}`,
      );
  }
}
