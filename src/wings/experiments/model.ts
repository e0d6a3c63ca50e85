/**
 * The small models the experiments train: one recurrent layer (RNN, LSTM or GRU) and a
 * linear read-out, built from the public layer API, with the loss of a `SyntheticTask`
 * fused in. Also the parameter arithmetic that lets `compare` give every cell the same
 * budget: a cell with G gate blocks has G·(H·I + H·H + 2H) recurrent parameters
 * (PyTorch's W_ih, W_hh, b_ih, b_hh), so for equal budgets the simple RNN (G = 1) gets
 * about twice the hidden units of the LSTM (G = 4).
 *
 * ```ts
 * const model = new SequenceModel({ cell: 'lstm', inputSize: 2, hidden: 32, outputSize: 1, forgetBias: 1 });
 * const step = model.run(task, task.sample(32, rng)); // forward + loss
 * model.zeroGrad(); step.backward();                  // gradients in model.parameters()
 * ```
 */
import type { TaskBatch, SyntheticTask } from './synthetic.js';
import { IGNORE } from './synthetic.js';
import { type CellExtras, cellSpec, createCell, recurrentParameterCount } from '../../nn/cells.js';
import type { InitScheme } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { mseLoss, softmaxCrossEntropy } from '../../nn/losses.js';
import { Module } from '../../nn/module.js';
import { finalState, fromState, type RecurrentBase, type RecurrentState } from '../../nn/recurrent.js';
import { type DType, Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';

export type { RecurrentState };

export interface CellOptions {
  /** A registered cell (`cellNames()` in nn/cells.ts). */
  cell: string;
  inputSize: number;
  hidden: number;
  /** Weight initialisation (biases keep PyTorch's U(±1/√H)). Default 'pytorch'. */
  init?: InitScheme;
  /** Gain of xavier/orthogonal init; for orthogonal the spectral radius of each W_hh block. */
  gain?: number;
  /** RNN only: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /** LSTM only: total forget-gate bias b_if + b_hf (undefined: PyTorch's random init). */
  forgetBias?: number;
  seed?: number;
  dtype?: DType;
}

/**
 * Build one single-layer, unidirectional recurrent layer from experiment options, through
 * the cell registry. The cell-specific options (`forgetBias`, `nonlinearity`) go to the
 * cells that take them; the others ignore them.
 */
export function makeCell(o: CellOptions): RecurrentBase {
  const spec = cellSpec(o.cell);
  const extras: CellExtras = {};
  if (spec.extras.includes('nonlinearity')) extras.nonlinearity = o.nonlinearity ?? 'tanh';
  if (spec.extras.includes('forgetBias') && o.forgetBias !== undefined) extras.forgetBias = o.forgetBias;
  return createCell(o.cell, {
    ...extras,
    inputSize: o.inputSize,
    hiddenSize: o.hidden,
    init: o.init ?? 'pytorch',
    initGain: o.gain,
    seed: o.seed ?? 0,
    dtype: o.dtype ?? 'float32',
  });
}

/** Parameters of the recurrent layer plus a Linear(H → outputSize) head. */
export function modelParameterCount(
  cell: string,
  inputSize: number,
  hidden: number,
  outputSize: number,
): number {
  return recurrentParameterCount(cell, { inputSize, hiddenSize: hidden }) + hidden * outputSize + outputSize;
}

/**
 * The hidden size whose model comes closest to `budget` parameters (ties go to the
 * smaller model). E.g. for the adding problem (I = 2, O = 1) and a budget of 4,641 — an
 * LSTM with H = 32 — the GRU gets H = 37 and the RNN H = 66.
 */
export function hiddenForBudget(cell: string, inputSize: number, outputSize: number, budget: number): number {
  checkNumber('hiddenForBudget', 'budget', budget, { min: 1 });
  let best = 1;
  let bestDiff = Infinity;
  for (let h = 1; h <= 65536; h++) {
    const n = modelParameterCount(cell, inputSize, h, outputSize);
    const diff = Math.abs(n - budget);
    if (diff < bestDiff) {
      best = h;
      bestDiff = diff;
    }
    if (n > budget) break;
  }
  return best;
}

/** The outcome of one forward pass with loss; `backward()` fills the parameters' grads. */
export interface RunResult {
  /** Mean loss (MSE or cross-entropy in nats) over the counted targets. */
  loss: number;
  /** Classification: correctly predicted targets; regression: 0. */
  correct: number;
  /** Targets counted. */
  count: number;
  /** Final state, to carry into the next chunk of a stream. */
  state: RecurrentState;
  /** Backpropagate the loss through the head and the recurrent layer (grads accumulate). */
  backward(): void;
}

/** A recurrent layer with a linear read-out, trained on a `SyntheticTask`. */
export class SequenceModel extends Module {
  readonly cell: string;
  readonly rnn: RecurrentBase;
  readonly head: Linear;
  readonly hidden: number;

  constructor(opts: CellOptions & { outputSize: number }) {
    super();
    this.cell = opts.cell;
    this.hidden = opts.hidden;
    this.rnn = makeCell(opts);
    this.head = new Linear({
      inFeatures: opts.hidden,
      outFeatures: opts.outputSize,
      dtype: opts.dtype ?? 'float32',
      seed: (opts.seed ?? 0) + 7919,
    });
  }

  /** Parameters: the recurrent layer's (`rnn.…`), then the read-out's (`head.…`). */
  protected override children(): [string, Module][] {
    return [
      ['rnn', this.rnn],
      ['head', this.head],
    ];
  }

  /** The recurrent layer itself (for inspection). */
  get layer(): RecurrentBase {
    return this.rnn;
  }

  /**
   * Forward `batch` from `state` (zeros when absent), read out at the last step or at
   * every step as the task says, and compute the task's loss.
   */
  run(task: SyntheticTask, batch: TaskBatch, state?: RecurrentState): RunResult {
    const [T, B] = batch.x.shape;
    const H = this.hidden;
    const O = task.outputSize;
    const fwd = this.rnn.forward(batch.x, fromState(state));
    const out = fwd.output; // [T, B, H]
    const last = task.readout === 'last';
    const feats = last
      ? new Tensor(out.data.subarray((T - 1) * B * H, T * B * H), [B, H])
      : out.reshape([T * B, H]);
    const pred = this.head.forward(feats); // [N, O]
    let loss: number;
    let grad: Tensor;
    let correct = 0;
    let count: number;
    if (task.kind === 'regression') {
      if (!batch.y) throw new KiokuError(`${task.name}: regression batch has no y`);
      const r = mseLoss(pred, batch.y);
      loss = r.loss;
      grad = r.grad;
      count = pred.shape[0];
    } else {
      const labels = batch.labels;
      if (!labels) throw new KiokuError(`${task.name}: classification batch has no labels`);
      const r = softmaxCrossEntropy(pred, labels, { ignoreIndex: IGNORE });
      loss = r.loss;
      grad = r.grad;
      count = r.count;
      for (let n = 0; n < labels.length; n++) {
        if (labels[n] === IGNORE) continue;
        let arg = 0;
        for (let k = 1; k < O; k++) if (pred.data[n * O + k] > pred.data[n * O + arg]) arg = k;
        if (arg === labels[n]) correct++;
      }
    }
    const stateOut = finalState(fwd);
    return {
      loss,
      correct,
      count,
      state: stateOut,
      backward: () => {
        const dFeats = this.head.backward(grad);
        let dOut: Tensor;
        if (last) {
          dOut = Tensor.zeros([T, B, H], out.dtype);
          dOut.data.set(dFeats.data, (T - 1) * B * H); // only h_T feeds the read-out
        } else {
          dOut = dFeats.reshape([T, B, H]);
        }
        this.rnn.backward(dOut);
      },
    };
  }
}
