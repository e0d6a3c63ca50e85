/**
 * Training and evaluation of the handwriting prediction network (Graves 2013 §4).
 *
 * One step (`HandwritingTask` run by the `Trainer`): a padded batch of random windows →
 * forward → MDN loss (eq. 26) and its output derivatives (eqs. 27-37) → BPTT → gradient
 * clipping → optimizer.
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
import type { OptimizerKind } from '../../optim/factory.js';
import { type TrainerOptions, type TrainEvent, Trainer, type TrainTask } from '../../train/trainer.js';
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
  /** Checkpoint every this many steps (default 0: only at the end and on Ctrl-C). */
  checkpointEvery?: number;
  /**
   * Gradient checkpointing in every recurrent level: keep the state every this many steps
   * and recompute the rest during BPTT (`RecurrentBase.gradCheckpoint`), trading one extra
   * forward pass for memory on long windows. Default 0: off. Does not change the gradients.
   */
  gradCheckpoint?: number;
}

export interface StepInfo {
  step: number;
  /** Mean NLL per point of the batch (nats). */
  loss: number;
  gradNorm: number;
  lr: number;
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

export interface TrainEvents {
  onStep?: (s: StepInfo) => void;
  onEval?: (e: EvalInfo) => void;
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
    gradCheckpoint: checkNumber(where, 'gradCheckpoint', c.gradCheckpoint ?? 0, { min: 0, integer: true }),
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

/** What the handwriting task keeps for an exact resume (besides weights and optimizer). */
interface HandwritingTaskState {
  rng: RngState;
  history: EvalInfo[];
  /** Losses of the steps since the last evaluation (for its `trainLoss`). */
  recent: number[];
}

/**
 * Handwriting prediction as a `TrainTask`: random windows of random lines (batch sampling
 * from a seeded RNG), the MDN loss with Graves's output and layer clipping, the gradient
 * divided by the number of points (mean NLL per point). A non-finite loss is returned as is
 * (no backward); the Trainer skips such steps (`skipNonFinite`). Validation is the whole-line
 * NLL of Graves's Table 3; the Trainer sees nats per point.
 */
export class HandwritingTask implements TrainTask {
  readonly history: EvalInfo[] = [];
  private recent: number[] = [];
  private readonly rng: Rng;
  private readonly valid: readonly OffsetSequence[];

  constructor(
    readonly model: HandwritingModel,
    readonly data: StrokeData,
    private readonly cfg: TrainResult['config'],
    /** The mixture head's loss (eqs. 26-37), or another implementation of it (`kioku exercise check mdn`). */
    readonly loss: MdnLossFn = mdnLoss,
  ) {
    this.rng = new Rng(cfg.seed);
    this.valid = data.valid.length ? data.valid : data.train;
    model.gradCheckpoint = cfg.gradCheckpoint;
  }

  trainBatch(): { loss: number; tokens: number } {
    const { model, cfg, rng } = this;
    const seqs = this.data.train;
    const idx = Array.from({ length: cfg.batchSize }, () => rng.int(seqs.length));
    const M = model.config.mixtures;
    const b = makeBatch(seqs, idx, cfg.seqLen, rng);
    model.train();
    const { yhat } = model.forward(b.x, { lengths: b.lengths });
    // Derivatives of the summed loss, clipped at the paper's scale (eq. 26-37, §4).
    const r = this.loss(yhat, b.y, { M, mask: b.mask, clip: cfg.clip.output || undefined, scale: 1 });
    const loss = r.nll / r.count;
    if (!Number.isFinite(loss)) return { loss, tokens: r.count };
    model.backward(r.grad!, { clipLayer: cfg.clip.layer || undefined });
    // Mean per point for the optimizer.
    const inv = 1 / r.count;
    for (const p of model.parameters()) {
      const g = p.grad.data;
      for (let i = 0; i < g.length; i++) g[i] *= inv;
    }
    this.recent.push(loss);
    return { loss, tokens: r.count };
  }

  /** Whole-line validation NLL; records an `EvalInfo` (with the mean training loss since the last one). */
  validate(): number {
    const e = evaluateHandwriting(this.model, this.valid, 32, this.loss);
    const trainLoss = this.recent.length ? this.recent.reduce((a, b) => a + b, 0) / this.recent.length : NaN;
    this.recent = [];
    this.pending = { trainLoss, ...e };
    return e.nllPerPoint;
  }

  /** The last evaluation, stamped with the step the Trainer reports (see `trainHandwriting`). */
  pending: Omit<EvalInfo, 'step'> | null = null;

  getState(): HandwritingTaskState {
    return { rng: this.rng.getState(), history: this.history, recent: this.recent };
  }

  setState(state: unknown): void {
    const s = state as HandwritingTaskState;
    this.rng.setState(s.rng);
    this.history.splice(0, this.history.length, ...s.history);
    this.recent = [...s.recent];
  }
}

/** The Trainer options of a handwriting run: Graves's linear LR decay, norm clipping, NaN skipping. */
export function handwritingTrainerOptions(cfg: TrainResult['config']): Omit<TrainerOptions, 'store'> {
  const never = Number.MAX_SAFE_INTEGER;
  return {
    optimizer: cfg.optimizer,
    lr: cfg.lr,
    steps: cfg.steps,
    schedule:
      cfg.lrFinal !== 1 ? { kind: 'linear', total: cfg.steps, start: 0, final: cfg.lrFinal } : undefined,
    clip: cfg.clip.norm,
    clipMode: 'norm',
    validateEvery: cfg.evalEvery || never,
    checkpointEvery: cfg.checkpointEvery || never,
    // The MDN's NLL can be negative: no "× the first loss" bound; bad batches are skipped.
    explodeFactor: 0,
    skipNonFinite: cfg.maxBadSteps,
  };
}

/**
 * The Trainer hook that turns the task's evaluations into `EvalInfo` rows (with their step)
 * and reports steps and evaluations to `events`.
 */
export function handwritingEvents(task: HandwritingTask, events: TrainEvents): (e: TrainEvent) => void {
  return (e) => {
    if (e.type === 'step' || e.type === 'skip') {
      const skipped = e.type === 'skip';
      events.onStep?.({
        step: e.step,
        loss: e.loss,
        gradNorm: e.gradNorm,
        lr: skipped ? NaN : e.lr,
        skipped,
      });
    } else if (e.type === 'validate' && task.pending) {
      const ev = { step: e.step, ...task.pending };
      task.pending = null;
      task.history.push(ev);
      events.onEval?.(ev);
    }
  };
}

/**
 * Train `model` on `data.train`, evaluating on `data.valid`, through the `Trainer`
 * (no checkpoints: `kioku handwriting train` adds the run directory). Aborts with a
 * `TrainingDivergedError` after `maxBadSteps` consecutive non-finite steps. `loss` replaces the
 * MDN loss (eqs. 26-37) with another head's, e.g. the one a learner writes in
 * `kioku exercise start mdn`.
 */
export async function trainHandwriting(
  model: HandwritingModel,
  data: StrokeData,
  config: HandwritingTrainConfig = {},
  events: TrainEvents = {},
  loss: MdnLossFn = mdnLoss,
): Promise<TrainResult> {
  const cfg = normalizeTrainConfig(config);
  const task = new HandwritingTask(model, data, cfg, loss);
  const trainer = new Trainer(task, handwritingTrainerOptions(cfg), {
    onEvent: handwritingEvents(task, events),
  });
  const r = await trainer.runAsync();
  return handwritingResult(task, cfg, r.skippedSteps);
}

/** The result of a finished handwriting run. */
export function handwritingResult(
  task: HandwritingTask,
  cfg: TrainResult['config'],
  skippedSteps: number,
): TrainResult {
  const history = task.history;
  const final = history.length
    ? history[history.length - 1]
    : evaluateHandwriting(
        task.model,
        task.data.valid.length ? task.data.valid : task.data.train,
        32,
        task.loss,
      );
  return { steps: cfg.steps, history, final, skippedSteps, config: cfg };
}
