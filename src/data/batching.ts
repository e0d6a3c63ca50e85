import { KiokuError } from '../util/errors.js';
import type { Rng, RngState } from '../util/rng.js';

/**
 * A padded, time-major batch of integer sequences.
 *
 * | field | shape | meaning |
 * |---|---|---|
 * | ids | [T, B] | token ids, `padId` past each sequence's end |
 * | lengths | [B] | true lengths (≥ 1) |
 * | mask | [T, B] | 1 inside a sequence, 0 on padding |
 */
export interface PaddedBatch {
  ids: Int32Array;
  lengths: Int32Array;
  mask: Float32Array;
  T: number;
  B: number;
  /** Which items of the source list the batch rows are. */
  indices: number[];
}

/**
 * Pad sequences into one time-major batch (T = longest sequence).
 *
 * ```ts
 * const b = padBatch([Int32Array.of(5, 6, 7), Int32Array.of(8)], 0);
 * // b.ids = [5, 8,  6, 0,  7, 0] (T = 3, B = 2), b.lengths = [3, 1]
 * ```
 */
export function padBatch(seqs: readonly Int32Array[], padId = 0, indices?: number[]): PaddedBatch {
  if (seqs.length === 0) throw new KiokuError('padBatch: no sequences');
  const B = seqs.length;
  let T = 0;
  for (let b = 0; b < B; b++) {
    if (seqs[b].length === 0) throw new KiokuError(`padBatch: sequence ${b} is empty`);
    T = Math.max(T, seqs[b].length);
  }
  const ids = new Int32Array(T * B).fill(padId);
  const mask = new Float32Array(T * B);
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const s = seqs[b];
    lengths[b] = s.length;
    for (let t = 0; t < s.length; t++) {
      ids[t * B + b] = s[t];
      mask[t * B + b] = 1;
    }
  }
  return { ids, lengths, mask, T, B, indices: indices ?? seqs.map((_, i) => i) };
}

/**
 * Split item indices into batches of similar length, so little compute goes to padding:
 * shuffle, cut into pools of `poolBatches` batches, sort each pool by length, cut the pool
 * into batches and shuffle the batch order (the "bucket iterator" of torchtext).
 * Without an `rng` the order is deterministic (sorted by length), as used for evaluation.
 */
export function bucketBatches(
  lengths: readonly number[],
  batchSize: number,
  rng?: Rng,
  poolBatches = 50,
): number[][] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new KiokuError(`bucketBatches: batchSize must be an integer >= 1, got ${batchSize}`);
  const idx = lengths.map((_, i) => i);
  if (!rng) {
    idx.sort((a, b) => lengths[a] - lengths[b] || a - b);
    return chunk(idx, batchSize);
  }
  rng.shuffle(idx);
  const batches: number[][] = [];
  const pool = batchSize * poolBatches;
  for (let p = 0; p < idx.length; p += pool) {
    const part = idx.slice(p, p + pool).sort((a, b) => lengths[a] - lengths[b]);
    batches.push(...chunk(part, batchSize));
  }
  return rng.shuffle(batches);
}

function chunk<T>(a: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < a.length; i += n) out.push(a.slice(i, i + n));
  return out;
}

/** Where an `EpochBatches` stands: enough to continue the same batches in the same order. */
export interface EpochBatchesState {
  /** The RNG's state when the current epoch's order was drawn. */
  epochStart: RngState;
  epoch: number;
  /** Batches of the current epoch already handed out. */
  pos: number;
}

/**
 * The batches of repeated passes over a data set, the order of each pass drawn from a seeded
 * RNG at its start (`plan`, e.g. `bucketBatches` or a shuffle cut into batches). The state
 * (the RNG at the epoch's start and the position) resumes exactly: `setState` redraws the
 * epoch's order and skips to the position. `plan` must use only `rng` for randomness and give
 * the same number of batches every epoch.
 *
 * ```ts
 * const it = new EpochBatches(new Rng(1), (rng) => bucketBatches(lengths, 32, rng));
 * const idx = it.next(); // indices of the first batch
 * ```
 */
export class EpochBatches {
  epoch = 0;
  private pos = 0;
  private epochStart: RngState;
  private batches: number[][];

  constructor(
    private readonly rng: Rng,
    private readonly plan: (rng: Rng) => number[][],
  ) {
    this.epochStart = rng.getState();
    this.batches = plan(rng);
    if (this.batches.length === 0) throw new KiokuError('EpochBatches: the data set gives no batches');
  }

  /** Batches in one pass. */
  get perEpoch(): number {
    return this.batches.length;
  }

  /** The next batch's indices (a new pass, with a new order, after the last batch of one). */
  next(): number[] {
    if (this.pos === this.batches.length) {
      this.epoch++;
      this.epochStart = this.rng.getState();
      this.batches = this.plan(this.rng);
      this.pos = 0;
    }
    return this.batches[this.pos++];
  }

  getState(): EpochBatchesState {
    return { epochStart: this.epochStart, epoch: this.epoch, pos: this.pos };
  }

  setState(s: EpochBatchesState): void {
    this.rng.setState(s.epochStart);
    this.epochStart = s.epochStart;
    this.epoch = s.epoch;
    this.batches = this.plan(this.rng);
    this.pos = s.pos;
  }
}
