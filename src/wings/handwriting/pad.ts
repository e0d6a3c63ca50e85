/**
 * A handwriting model following a pen point by point (the lab's pad; Distill's "Experiments
 * in Handwriting with a Neural Network", Carter, Ha, Johnson & Olah 2016): after each point
 * the predicted distribution of the next offset (Graves 2013 eqs. 18–22), the end-of-stroke
 * probability, the top layer's activations, sampled continuations ("hairs") and the model's
 * own completion of the line. Browser-safe; the pad runs it in a Web Worker.
 *
 * Inputs are raw offsets (the units of the model's training data); the first point of a line
 * has offset (0, 0), as every training line starts.
 *
 * ```ts
 * const pad = new PadSession(handwritingModelFromBytes(bytes, 'lstm.safetensors'));
 * const a = pad.step(0, 0, 0);      // a.mixture: where the pen goes next
 * const b = pad.step(3, 1, 0);
 * const c = pad.step(3, 1, 1, { replaceLast: true }); // the pen lifted after that point
 * const hairs = pad.hairs({ count: 50, length: 20 });
 * ```
 */
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { denormalizeMixture } from './density.js';
import { mixtureAt, type Mixture } from './mdn.js';
import type { HandwritingModel, HandwritingState } from './model.js';
import { sampleFromState, tileState } from './sample.js';
import { denormalizeOffsets, type OffsetSequence, type OffsetStats } from './strokes.js';

export interface PadStep {
  /** The next offset's distribution in raw units (with the bias applied); `e` = P(pen lifts). */
  mixture: Mixture;
  /** The top layer's activations after this point: c_t for an LSTM, h_t otherwise. [H] */
  activations: Float32Array;
}

export class PadSession {
  readonly model: HandwritingModel;
  readonly stats: OffsetStats;
  private state: HandwritingState | undefined;
  private before: HandwritingState | undefined;
  private last: Float32Array | null = null;
  private points = 0;

  constructor(loaded: { model: HandwritingModel; stats: OffsetStats }) {
    this.model = loaded.model;
    this.stats = loaded.stats;
    this.model.eval();
  }

  /** Points read since the last `reset`. */
  get length(): number {
    return this.points;
  }

  /** Forget the line (zero state). */
  reset(): void {
    this.state = undefined;
    this.before = undefined;
    this.last = null;
    this.points = 0;
  }

  /**
   * Read one point: its offset from the previous point (raw units; ignored for the first)
   * and whether the pen lifts after it. `replaceLast` re-reads the previous point instead
   * (the pad learns that a stroke ended only when the pen goes up).
   */
  step(dx: number, dy: number, eos: number, opts: { replaceLast?: boolean; bias?: number } = {}): PadStep {
    if (opts.replaceLast) {
      if (this.points === 0) throw new KiokuError('PadSession.step: replaceLast before any point');
      this.state = this.before;
      this.points--;
    }
    const first = this.points === 0;
    const st = this.stats;
    // Normalised input (x − mean) / std, as in training; the first row is the zero offset.
    const x = new Tensor(
      new Float32Array([
        first ? (0 - st.meanX) / st.stdX : (dx - st.meanX) / st.stdX,
        first ? (0 - st.meanY) / st.stdY : (dy - st.meanY) / st.stdY,
        eos >= 0.5 ? 1 : 0,
      ]),
      [1, 1, 3],
    );
    const r = this.model.forward(x, this.state ? { state: this.state } : {});
    this.before = this.state;
    this.state = r.state;
    this.last = new Float32Array(r.yhat.data);
    this.points++;
    const topLayer = r.state[r.state.length - 1]; // the last layer's state
    const top = topLayer.c ?? topLayer.h;
    return {
      mixture: this.mixture(opts.bias ?? 0),
      activations: new Float32Array(top.data),
    };
  }

  /** The current prediction (raw units) with sampling bias b (σ·e^{−b}, π ∝ π^{1+b}). */
  mixture(bias = 0): Mixture {
    if (!this.last) throw new KiokuError('PadSession: no point read yet');
    return denormalizeMixture(mixtureAt(this.last, 0, this.model.config.mixtures, { bias }), this.stats);
  }

  /**
   * `count` continuations of `length` points sampled from the current state (raw offsets,
   * the first row is the step away from the current point).
   */
  hairs(opts: { count?: number; length?: number; bias?: number; seed?: number } = {}): OffsetSequence[] {
    if (!this.state || !this.last) throw new KiokuError('PadSession: no point read yet');
    const count = checkNumber('PadSession.hairs', 'count', opts.count ?? 50, { min: 1, integer: true });
    const length = checkNumber('PadSession.hairs', 'length', opts.length ?? 20, { min: 1, integer: true });
    const tiled = tileState(this.state, this.last, count);
    const outs = sampleFromState(
      this.model,
      tiled.state,
      tiled.last,
      count,
      length,
      new Rng(opts.seed ?? 1),
      {
        bias: opts.bias ?? 0,
      },
    );
    return outs.map((o) => denormalizeOffsets({ data: o, length }, this.stats));
  }

  /** "Let the model finish": one continuation of `steps` points (raw offsets). */
  finish(opts: { steps?: number; bias?: number; seed?: number } = {}): OffsetSequence {
    return this.hairs({ count: 1, length: opts.steps ?? 300, bias: opts.bias, seed: opts.seed })[0];
  }
}
