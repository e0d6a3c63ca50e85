/**
 * Truncated BPTT for the character language model (a `TrainTask`): B parallel streams
 * over the corpus, T-step backprop windows, and the hidden state carried — detached —
 * from one window to the next, so the model sees context longer than T while gradients
 * flow through only T steps (Williams & Peng 1990; Chainer's `unchain_backward`).
 */
import type { CharLM, RecurrentState } from './model.js';
import { softmaxCrossEntropy, softmaxCrossEntropyLoss } from '../../nn/losses.js';
import { keep, withScope } from '../../tensor/scope.js';
import { Tensor } from '../../tensor/tensor.js';
import { KiokuError } from '../../util/errors.js';
import type { RngState } from '../../util/rng.js';
import { BatchStreams } from './streams.js';
import type { TrainTask } from '../../train/trainer.js';

export interface CharLMTaskOptions {
  batch: number;
  seq: number;
  /** Validation covers at most this many tokens (the same ones every time). Default 16384. */
  valTokens?: number;
}

interface SavedState {
  streams: { position: number; epoch: number };
  carried: { h: number[]; c?: number[] } | null;
  rng: RngState[];
}

export class CharLMTask implements TrainTask {
  private readonly streams: BatchStreams;
  private carried: RecurrentState | undefined;
  private readonly valIds: Int32Array;
  private readonly valBatch: number;
  private readonly valChunks: number;

  constructor(
    readonly model: CharLM,
    trainIds: Int32Array,
    valIds: Int32Array,
    private readonly opts: CharLMTaskOptions,
  ) {
    this.streams = new BatchStreams(trainIds, opts.batch, opts.seq, 'training text');
    const T = opts.seq;
    if (valIds.length < T + 1) {
      throw new KiokuError(
        `validation text too small: ${valIds.length} characters for seq = ${T}; use more data or a larger validation fraction`,
      );
    }
    this.valIds = valIds;
    this.valBatch = Math.max(1, Math.min(opts.batch, Math.floor((valIds.length - 1) / T)));
    const perChunk = this.valBatch * T;
    const streamChunks = Math.floor(Math.floor((valIds.length - 1) / this.valBatch) / T);
    this.valChunks = Math.max(1, Math.min(streamChunks, Math.ceil((opts.valTokens ?? 16384) / perChunk)));
  }

  trainBatch(): { loss: number; tokens: number } {
    const { batch: B, seq: T } = this.opts;
    const batch = this.streams.next();
    if (batch.wrapped) this.carried = undefined; // a new pass over the data starts from a zero state
    this.model.train();
    const { logits, state } = this.model.forward(batch.inputs, T, B, this.carried);
    const { loss, grad } = softmaxCrossEntropy(logits, batch.targets);
    this.model.backward(grad);
    this.carried = state; // detached: the next window's backward stops here
    keep(state.h, state.c); // outlives the Trainer's step scope (tensor/scope.ts)
    return { loss, tokens: T * B };
  }

  /**
   * Mean cross-entropy (nats/char) over the first `valTokens` of the validation text. Each
   * chunk runs in its own memory scope (tensor/scope.ts), keeping only the state it carries
   * to the next chunk, so a pass needs one chunk's buffers, not `valChunks`' (with a large
   * vocabulary the [T·B, V] logits of 8 chunks would pass the WASM heap's soft cap); the
   * loss is taken without its gradient.
   */
  validate(): number {
    const T = this.opts.seq;
    const streams = new BatchStreams(this.valIds, this.valBatch, T, 'validation text');
    this.model.eval();
    let state: RecurrentState | undefined;
    let sum = 0;
    let count = 0;
    try {
      for (let k = 0; k < this.valChunks; k++) {
        const b = streams.next();
        const r = withScope(() => {
          const out = this.model.forward(b.inputs, T, this.valBatch, state);
          keep(out.state.h, out.state.c);
          return { ...softmaxCrossEntropyLoss(out.logits, b.targets), state: out.state };
        });
        sum += r.loss * r.count;
        count += r.count;
        state = r.state;
      }
    } finally {
      this.model.train();
    }
    return sum / count;
  }

  getState(): SavedState {
    const c = this.carried;
    return {
      streams: this.streams.getState(),
      carried: c ? { h: Array.from(c.h.data), ...(c.c ? { c: Array.from(c.c.data) } : {}) } : null,
      rng: this.model.rngStates(),
    };
  }

  setState(raw: unknown): void {
    const s = raw as SavedState;
    if (!s || typeof s !== 'object' || !s.streams)
      throw new KiokuError('resume: malformed training position in the checkpoint');
    this.streams.setState(s.streams);
    this.model.setRngStates(s.rng);
    if (s.carried) {
      const shape = [this.model.config.layers, this.opts.batch, this.model.config.hidden];
      const n = shape[0] * shape[1] * shape[2];
      if (s.carried.h.length !== n) {
        throw new KiokuError(
          `resume: carried state has ${s.carried.h.length} values, expected ${n} (batch or model size changed?)`,
        );
      }
      this.carried = {
        h: new Tensor(Float32Array.from(s.carried.h), shape),
        ...(s.carried.c ? { c: new Tensor(Float32Array.from(s.carried.c), shape) } : {}),
      };
    } else this.carried = undefined;
  }
}
