/**
 * Mini-batches as B parallel streams over one long token sequence (char-rnn style):
 * the sequence is cut into B equal contiguous streams, and each batch takes the next T
 * tokens of every stream. Because stream b's chunk k+1 continues exactly where chunk k
 * ended, the hidden state can be carried across chunks — truncated BPTT with state
 * carried (detached) between backprop windows.
 *
 *   stream b covers ids[b·L, (b+1)·L], L = ⌊(N − 1) / B⌋
 *   chunk at position p: inputs ids[b·L + p + t], targets ids[b·L + p + t + 1], t < T
 */
import { KiokuError } from '../../util/errors.js';

export interface StreamBatch {
  inputs: Int32Array; // [T, B] time-major
  targets: Int32Array; // [T, B]
  /** True when this batch starts a new pass over the data (carried state must be reset). */
  wrapped: boolean;
}

export class BatchStreams {
  readonly streamLength: number;
  /** Offset of the next chunk inside every stream. */
  position = 0;
  /** Completed passes over the data. */
  epoch = 0;

  constructor(
    private readonly ids: Int32Array,
    readonly batch: number,
    readonly seq: number,
    what = 'data',
  ) {
    this.streamLength = Math.floor((ids.length - 1) / batch);
    if (this.streamLength < seq) {
      throw new KiokuError(
        `${what} too small: ${ids.length} tokens cannot make ${batch} streams of at least seq = ${seq} tokens (need ≥ ${batch * seq + 1}); lower --batch or --seq`,
      );
    }
  }

  /** Chunks in one pass over the data. */
  get chunksPerEpoch(): number {
    return Math.floor(this.streamLength / this.seq);
  }

  next(): StreamBatch {
    const { batch: B, seq: T } = this;
    let wrapped = false;
    if (this.position + T > this.streamLength) {
      this.position = 0;
      this.epoch++;
      wrapped = true;
    }
    const inputs = new Int32Array(T * B);
    const targets = new Int32Array(T * B);
    for (let b = 0; b < B; b++) {
      const base = b * this.streamLength + this.position;
      for (let t = 0; t < T; t++) {
        inputs[t * B + b] = this.ids[base + t];
        targets[t * B + b] = this.ids[base + t + 1];
      }
    }
    this.position += T;
    return { inputs, targets, wrapped };
  }

  getState(): { position: number; epoch: number } {
    return { position: this.position, epoch: this.epoch };
  }

  setState(s: { position: number; epoch: number }): void {
    if (!Number.isInteger(s?.position) || s.position < 0 || s.position > this.streamLength) {
      throw new KiokuError(
        `data position ${JSON.stringify(s?.position)} is outside [0, ${this.streamLength}] (different data?)`,
      );
    }
    this.position = s.position;
    this.epoch = s.epoch ?? 0;
  }
}
