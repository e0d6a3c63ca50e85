/**
 * Training and evaluation of the handwriting prediction network (Graves 2013 §4).
 *
 * One step: a padded batch of random windows → forward → MDN loss (eq. 26) and its output
 * derivatives (eqs. 27-37) → BPTT → gradient clipping → optimizer.
 *
 * Clipping (all optional, combinable; see `ClipConfig`):
 * - `output`: each output derivative ∂L_t/∂ŷ_t clipped to [−output, output] (Graves: 100);
 * - `layer`: each derivative flowing into a recurrent layer's outputs, ∂L/∂hⁿ_t, clipped to
 *   [−layer, layer] (kioku's stand-in for Graves's LSTM-derivative clip to 10; see
 *   `HandwritingModel.backward`);
 * - `norm`: the global L2 norm of the (mean-per-point) parameter gradient (Pascanu et al.
 *   2013), as write-rnn-tensorflow and most later implementations do.
 * The `output` and `layer` clips act on derivatives of the *summed* loss, the scale the
 * paper's thresholds refer to; the parameter gradient is then divided by the number of
 * points, so the optimizer sees the mean NLL per point.
 *
 * ```ts
 * const data = loadStrokeData({ source: 'builtin' });
 * const model = new HandwritingModel({ cell: 'lstm', hiddenSize: 64, numLayers: 2 });
 * const result = await trainHandwriting(model, data, { steps: 500 }, { onEval: (e) => console.log(e) });
 * ```
 */
import type { OffsetSequence } from './strokes.js';
import { clipGradNorm } from '../../optim/clip.js';
import { createOptimizer, type OptimizerKind } from '../../optim/factory.js';
import type { Optimizer } from '../../optim/optimizer.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';
import { makeBatch, type StrokeData } from './data.js';
import { mdnLoss, type MdnLossFn } from './mdn.js';
import type { HandwritingModel } from './model.js';

export interface ClipConfig {
  /** Clip output derivatives to [−output, output] (Graves: 100). 0 = off. */
  output?: number;
  /** Clip derivatives into each recurrent layer to [−layer, layer] (Graves: 10 for LSTM). 0 = off. */
  layer?: number;
  /** Clip the global gradient norm to this. 0 = off. */
  norm?: number;
}

export interface HandwritingTrainConfig {
  /** 'adam' (default), 'graves-rmsprop' (eqs. 38-45) or 'rmsprop'. */
  optimizer?: Extract<OptimizerKind, 'adam' | 'graves-rmsprop' | 'rmsprop'>;
  /** Learning rate (default 2e-3 for Adam, 1e-4 for Graves's RMSprop as in the paper). */
  lr?: number;
  /** Multiply the learning rate by this at `lrDecayStart` ... `steps`, linearly (default 1: constant). */
  lrFinal?: number;
  /** Sequences per batch (default 16). */
  batchSize?: number;
  /** Window length in points (default 150; 0 = whole lines). */
  seqLen?: number;
  /** Optimizer steps (default 1000). */
  steps?: number;
  /** Clipping (default { output: 100, layer: 10, norm: 10 }). */
  clip?: ClipConfig;
  /** Evaluate on the validation set every this many steps (default 100; 0 = only at the end). */
  evalEvery?: number;
  /** Seed of batch sampling (default 1). */
  seed?: number;
  /** Stop after this many consecutive non-finite steps (default 20). */
  maxBadSteps?: number;
  /** Call `events.onCheckpoint` every this many steps (default 0: only at the end). */
  checkpointEvery?: number;
}

export interface StepInfo {
  step: number;
  /** Mean NLL per point of the batch (nats). */
  loss: number;
  gradNorm: number;
  lr: number;
  clippedOutput: number;
  clippedLayer: number;
  skipped: boolean;
}

export interface EvalResult {
  /** Mean over validation lines of the summed NLL of the line (nats per sequence; Graves Table 3). */
  nllPerSequence: number;
  /** Total NLL / total points (nats per point). */
  nllPerPoint: number;
  /** Mean over lines of the summed squared error of the predicted mean (SSE per sequence). */
  ssePerSequence: number;
  ssePerPoint: number;
  sequences: number;
  points: number;
}

export interface EvalInfo extends EvalResult {
  step: number;
  trainLoss: number;
}

/** Everything that continues a run exactly (with the model weights and optimizer state). */
export interface TrainProgress {
  /** Steps done. */
  step: number;
  /** The batch-sampling RNG. */
  rng: RngState;
  history: EvalInfo[];
  skippedSteps: number;
}

export interface TrainEvents {
  onStep?: (s: StepInfo) => void;
  onEval?: (e: EvalInfo) => void;
  /**
   * Called every `checkpointEvery` steps and at the end, after the step's evaluation, with the
   * optimizer and the progress: save them with the model (see `kioku handwriting train --resume`).
   */
  onCheckpoint?: (progress: TrainProgress, optimizer: Optimizer) => void | Promise<void>;
}

export interface TrainResult {
  steps: number;
  history: EvalInfo[];
  final: EvalResult;
  skippedSteps: number;
  config: Required<Omit<HandwritingTrainConfig, 'clip'>> & { clip: Required<ClipConfig> };
}

/** Validate a training config and fill in the defaults. */
export function normalizeTrainConfig(c: HandwritingTrainConfig = {}): TrainResult['config'] {
  const where = 'trainHandwriting';
  const optimizer = c.optimizer ?? 'adam';
  if (!['adam', 'graves-rmsprop', 'rmsprop'].includes(optimizer)) {
    throw new KiokuError(
      `${where}: optimizer must be adam, graves-rmsprop or rmsprop, got ${JSON.stringify(optimizer)}`,
    );
  }
  const clip = c.clip ?? {};
  return {
    optimizer,
    lr: checkNumber(where, 'lr', c.lr ?? (optimizer === 'graves-rmsprop' ? 1e-4 : 2e-3), { min: 0 }),
    lrFinal: checkNumber(where, 'lrFinal', c.lrFinal ?? 1, { min: 0 }),
    batchSize: checkNumber(where, 'batchSize', c.batchSize ?? 16, { min: 1, integer: true }),
    seqLen: checkNumber(where, 'seqLen', c.seqLen ?? 150, { min: 0, integer: true }),
    steps: checkNumber(where, 'steps', c.steps ?? 1000, { min: 0, integer: true }),
    clip: {
      output: checkNumber(where, 'clip.output', clip.output ?? 100, { min: 0 }),
      layer: checkNumber(where, 'clip.layer', clip.layer ?? 10, { min: 0 }),
      norm: checkNumber(where, 'clip.norm', clip.norm ?? 10, { min: 0 }),
    },
    evalEvery: checkNumber(where, 'evalEvery', c.evalEvery ?? 100, { min: 0, integer: true }),
    seed: checkNumber(where, 'seed', c.seed ?? 1, { integer: true }),
    maxBadSteps: checkNumber(where, 'maxBadSteps', c.maxBadSteps ?? 20, { min: 1, integer: true }),
    checkpointEvery: checkNumber(where, 'checkpointEvery', c.checkpointEvery ?? 0, { min: 0, integer: true }),
  };
}

/**
 * Validation NLL of whole lines, as Graves's Table 3 reports it: for each line, the sum
 * over its points of −log p(x_{t+1} | x_{≤t}) (the first point is given), averaged over
 * lines; also per point, and the SSE of the mixture mean.
 */
export function evaluateHandwriting(
  model: HandwritingModel,
  seqs: readonly OffsetSequence[],
  batchSize = 32,
  loss: MdnLossFn = mdnLoss,
): EvalResult {
  const M = model.config.mixtures;
  const order = seqs
    .map((s, i) => ({ i, n: s.length }))
    .sort((a, b) => b.n - a.n)
    .map((o) => o.i);
  let nll = 0;
  let sse = 0;
  let points = 0;
  const wasTraining = model.training;
  model.eval();
  for (let k = 0; k < order.length; k += batchSize) {
    const idx = order.slice(k, k + batchSize);
    const b = makeBatch(seqs, idx, 0, null);
    const { yhat } = model.forward(b.x, { lengths: b.lengths });
    const r = loss(yhat, b.y, { M, mask: b.mask, grad: false });
    nll += r.nll;
    sse += r.sse;
    points += r.count;
  }
  model.train(wasTraining);
  const n = Math.max(seqs.length, 1);
  return {
    nllPerSequence: nll / n,
    nllPerPoint: nll / Math.max(points, 1),
    ssePerSequence: sse / n,
    ssePerPoint: sse / Math.max(points, 1),
    sequences: seqs.length,
    points,
  };
}

/** One training step on `indices`; returns the step's information (parameters updated unless skipped). */
export function trainStep(
  model: HandwritingModel,
  opt: Optimizer,
  seqs: readonly OffsetSequence[],
  indices: readonly number[],
  cfg: TrainResult['config'],
  rng: Rng,
  step: number,
  loss: MdnLossFn = mdnLoss,
): StepInfo {
  const M = model.config.mixtures;
  const b = makeBatch(seqs, indices, cfg.seqLen, rng);
  model.zeroGrad();
  const { yhat } = model.forward(b.x, { lengths: b.lengths });
  // Derivatives of the summed loss, clipped at the paper's scale (eq. 26-37, §4).
  const r = loss(yhat, b.y, { M, mask: b.mask, clip: cfg.clip.output || undefined, scale: 1 });
  const meanLoss = r.nll / r.count;
  const info: StepInfo = {
    step,
    loss: meanLoss,
    gradNorm: NaN,
    lr: opt.lr,
    clippedOutput: r.clipped,
    clippedLayer: 0,
    skipped: false,
  };
  if (!Number.isFinite(meanLoss)) {
    info.skipped = true;
    return info;
  }
  model.backward(r.grad!, { clipLayer: cfg.clip.layer || undefined });
  info.clippedLayer = model.lastLayerClipped;
  // Mean per point for the optimizer.
  const inv = 1 / r.count;
  const params = model.parameters();
  for (const p of params) {
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) g[i] *= inv;
  }
  info.gradNorm =
    cfg.clip.norm > 0 ? clipGradNorm(params, cfg.clip.norm) : clipGradNorm(params, Number.MAX_VALUE);
  if (!Number.isFinite(info.gradNorm)) {
    info.skipped = true; // NaN guard: never let a bad batch poison the weights
    return info;
  }
  opt.step();
  return info;
}

/** Let the event loop run: timers, progress output, and the finalizers that recycle WASM memory. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Train `model` on `data.train`, evaluating on `data.valid`; progress goes to `events`.
 * Yields to the event loop after every step (the WASM backend recycles the memory of
 * unreachable arrays from finalizers, which only run between tasks). Aborts with a
 * `KiokuError` after `maxBadSteps` consecutive non-finite steps.
 *
 * To resume exactly, pass the saved optimizer (with its state loaded) and the saved
 * `TrainProgress`: the run continues with the same batches and learning rates as if it had
 * never stopped. `loss` replaces the MDN loss (eqs. 26-37) with another head's, e.g. the one a
 * learner writes in `kioku exercise start mdn`.
 */
export async function trainHandwriting(
  model: HandwritingModel,
  data: StrokeData,
  config: HandwritingTrainConfig = {},
  events: TrainEvents = {},
  resume: { optimizer?: Optimizer; progress?: TrainProgress } = {},
  loss: MdnLossFn = mdnLoss,
): Promise<TrainResult> {
  const cfg = normalizeTrainConfig(config);
  const rng = new Rng(cfg.seed);
  const opt = resume.optimizer ?? createOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr });
  const history: EvalInfo[] = resume.progress ? [...resume.progress.history] : [];
  let bad = 0;
  let skipped = resume.progress?.skippedSteps ?? 0;
  let recent: number[] = [];
  const first = (resume.progress?.step ?? 0) + 1;
  if (resume.progress) rng.setState(resume.progress.rng);
  model.train();
  for (let step = first; step <= cfg.steps; step++) {
    opt.lr = cfg.lr * (1 + (cfg.lrFinal - 1) * ((step - 1) / Math.max(cfg.steps - 1, 1)));
    const idx = Array.from({ length: cfg.batchSize }, () => rng.int(data.train.length));
    const info = trainStep(model, opt, data.train, idx, cfg, rng, step, loss);
    if (info.skipped) {
      skipped++;
      if (++bad >= cfg.maxBadSteps) {
        throw new KiokuError(
          `trainHandwriting: ${bad} consecutive steps with a non-finite loss or gradient (last at step ${step}); lower the learning rate or tighten clipping`,
        );
      }
    } else {
      bad = 0;
      recent.push(info.loss);
    }
    events.onStep?.(info);
    await yieldToEventLoop();
    if ((cfg.evalEvery > 0 && step % cfg.evalEvery === 0) || step === cfg.steps) {
      const e = evaluateHandwriting(model, data.valid.length ? data.valid : data.train, 32, loss);
      const trainLoss = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : NaN;
      recent = [];
      const ev = { step, trainLoss, ...e };
      history.push(ev);
      events.onEval?.(ev);
    }
    if ((cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0) || step === cfg.steps) {
      await events.onCheckpoint?.(
        { step, rng: rng.getState(), history: [...history], skippedSteps: skipped },
        opt,
      );
    }
  }
  const final = history.length
    ? history[history.length - 1]
    : evaluateHandwriting(model, data.valid.length ? data.valid : data.train, 32, loss);
  return { steps: cfg.steps, history, final, skippedSteps: skipped, config: cfg };
}
