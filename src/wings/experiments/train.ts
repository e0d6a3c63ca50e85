/**
 * The experiments' short in-memory trainings, run by the `Trainer` (no store): sample a
 * batch, forward with loss, backward, clip, step — and record everything a report plots
 * (loss, gradient norm before and after clipping, the size of the update). A run stops the
 * moment it diverges (loss NaN/∞ or far above the task's baseline), because a diverged run
 * is a result here, not an error.
 *
 * ```ts
 * const r = trainRun({ task, model, optimizer: 'adam', lr: 1e-2,
 *                      steps: 500, batch: 32, seed: 0, clip: { mode: 'norm', threshold: 1 } });
 * r.history.at(-1)?.loss; r.final.loss; r.diverged;
 * ```
 */
import type { SyntheticTask, TaskBatch } from './synthetic.js';
import { clipGradNorm, clipGradValue, gradNorm } from '../../optim/clip.js';
import type { OptimizerKind } from '../../optim/factory.js';
import { Trainer, TrainingDivergedError, type TrainTask } from '../../train/trainer.js';
import { Rng, type RngState } from '../../util/rng.js';
import type { Parameter } from '../../nn/module.js';
import type { SequenceModel } from './model.js';

/** Gradient clipping: none, element-wise to [−c, c] ("value"), or by global L2 norm ("norm"). */
export type ClipMode = 'none' | 'value' | 'norm';

export interface ClipSpec {
  mode: ClipMode;
  /** c for 'value', the maximal global norm for 'norm'. */
  threshold: number;
  /**
   * Another implementation of `mode` (e.g. a learner's, `kioku exercise check clipping`):
   * clips the parameters' gradients in place and returns the norm before clipping.
   */
  apply?: (params: readonly Parameter[], threshold: number) => number;
}

export interface StepRecord {
  step: number;
  loss: number;
  /** ‖g‖ before clipping (global L2 over all parameters). */
  gradNorm: number;
  /** ‖g‖ after clipping (equal to gradNorm when nothing was clipped). */
  clippedNorm: number;
  /** ‖θ_new − θ_old‖: the size of the step actually taken. */
  updateNorm: number;
}

export interface EvalRecord {
  step: number;
  loss: number;
  /** Classification tasks: fraction of targets predicted correctly. */
  accuracy?: number;
}

export interface TrainRunOptions {
  task: SyntheticTask;
  model: SequenceModel;
  /** The optimizer the Trainer creates over the model's parameters, and its learning rate. */
  optimizer: OptimizerKind;
  lr: number;
  steps: number;
  batch: number;
  /** Seed of the training batches. */
  seed: number;
  clip?: ClipSpec;
  /** Held-out batch evaluated every `evalEvery` steps and at the end. */
  evalBatch?: TaskBatch;
  evalEvery?: number;
  /** A loss above this (or NaN/∞) counts as divergence and stops the run (default 100 × baseline). */
  divergeAbove?: number;
  /** Stop after an evaluation for which this returns true (e.g. "solved"). */
  stopWhen?: (e: EvalRecord) => boolean;
  /** Measure the update norm (costs a copy of the parameters per step; default true). */
  trackUpdate?: boolean;
  onStep?: (r: StepRecord) => void;
}

export interface TrainRunResult {
  history: StepRecord[];
  evals: EvalRecord[];
  diverged: boolean;
  /** First step whose loss or gradient was non-finite or above `divergeAbove`. */
  divergedAt: number | null;
  /** Last evaluation (or the last training loss when no eval batch was given). */
  final: EvalRecord;
  /** Wall-clock milliseconds of the run (reports only; never asserted). */
  ms: number;
}

/** Loss (and accuracy) of `model` on a fixed batch, without touching gradients. */
export function evaluate(
  task: SyntheticTask,
  model: SequenceModel,
  batch: TaskBatch,
  step: number,
): EvalRecord {
  const r = model.run(task, batch);
  return {
    step,
    loss: r.loss,
    ...(task.kind === 'classification' ? { accuracy: r.correct / Math.max(1, r.count) } : {}),
  };
}

/** Apply `clip` to the model's gradients; returns the norms before and after. */
export function applyClip(
  model: SequenceModel,
  clip: ClipSpec | undefined,
): { before: number; after: number } {
  const params = model.parameters();
  if (!clip || clip.mode === 'none') {
    const n = gradNorm(params);
    return { before: n, after: n };
  }
  if (clip.apply) {
    const before = clip.apply(params, clip.threshold);
    return { before, after: gradNorm(params) };
  }
  if (clip.mode === 'norm') {
    const before = clipGradNorm(params, clip.threshold);
    return { before, after: gradNorm(params) };
  }
  const before = gradNorm(params);
  clipGradValue(params, clip.threshold);
  return { before, after: gradNorm(params) };
}

/**
 * The experiments' training as a `TrainTask`: a fresh batch of the synthetic task per step
 * (from a seeded RNG), the model's loss and backward pass. Validation is the fixed
 * evaluation batch (recorded in `evals`); `stopWhen` turns an evaluation into a stop.
 */
class SyntheticTrainTask implements TrainTask {
  readonly evals: EvalRecord[] = [];
  stopped: EvalRecord | null = null;
  private step = 0;
  private lastLoss = NaN;
  private readonly rng: Rng;

  constructor(
    readonly model: SequenceModel,
    private readonly o: TrainRunOptions,
  ) {
    this.rng = new Rng(o.seed);
  }

  trainBatch(): { loss: number; tokens: number } {
    const { o } = this;
    this.step++;
    const r = this.model.run(o.task, o.task.sample(o.batch, this.rng));
    r.backward();
    this.lastLoss = r.loss;
    return { loss: r.loss, tokens: o.batch };
  }

  validate(): number {
    const { o } = this;
    if (!o.evalBatch) return this.lastLoss;
    const e = evaluate(o.task, this.model, o.evalBatch, this.step);
    this.evals.push(e);
    if (this.step < o.steps && o.stopWhen?.(e)) this.stopped = e;
    return e.loss;
  }

  getState(): unknown {
    return { rng: this.rng.getState(), step: this.step };
  }

  setState(state: unknown): void {
    const s = state as { rng: RngState; step: number };
    this.rng.setState(s.rng);
    this.step = s.step;
  }
}

/**
 * Train for `steps` steps (or until divergence, or until `stopWhen`), through the `Trainer`
 * without a store (in memory): its clipping, its absolute loss bound (`maxLoss`) as the
 * divergence test, its update norms. A diverged run is returned, not thrown.
 */
export function trainRun(o: TrainRunOptions): TrainRunResult {
  const t0 = performance.now();
  const params = o.model.parameters();
  const track = o.trackUpdate ?? true;
  const clip = o.clip ?? { mode: 'none', threshold: 0 };
  const history: StepRecord[] = [];
  const bound = o.divergeAbove ?? 100 * o.task.baseline.loss;
  const task = new SyntheticTrainTask(o.model, o);
  const evalEvery = o.evalBatch && o.evalEvery ? o.evalEvery : Number.MAX_SAFE_INTEGER;
  const trainer = new Trainer(
    task,
    {
      optimizer: o.optimizer,
      lr: o.lr,
      steps: o.steps,
      clip: clip.threshold,
      clipMode: clip.mode,
      ...(clip.apply ? { clipWith: clip.apply } : {}),
      validateEvery: evalEvery,
      checkpointEvery: Number.MAX_SAFE_INTEGER,
      explodeFactor: 0,
      maxLoss: Number.isFinite(bound) ? bound : undefined,
    },
    {
      shouldStop: () => task.stopped !== null,
      onEvent: (e) => {
        if (e.type !== 'step') return;
        // ‖g‖ after clipping: the gradients are still the clipped ones after the update.
        const clippedNorm = clip.mode === 'none' ? e.gradNorm : gradNorm(params);
        const rec: StepRecord = {
          step: e.step,
          loss: e.loss,
          gradNorm: e.gradNorm,
          clippedNorm,
          updateNorm: track ? e.updateNorm : NaN,
        };
        history.push(rec);
        o.onStep?.(rec);
      },
    },
  );
  let divergedAt: number | null = null;
  try {
    trainer.run();
  } catch (err) {
    if (!(err instanceof TrainingDivergedError)) throw err;
    // The diverged step, as the report shows it: its loss and norms, no update.
    if (clip.mode === 'value' && !clip.apply) clipGradValue(params, clip.threshold);
    const clippedNorm = clip.mode === 'none' ? err.gradNorm : gradNorm(params);
    history.push({ step: err.step, loss: err.loss, gradNorm: err.gradNorm, clippedNorm, updateNorm: NaN });
    o.onStep?.(history[history.length - 1]);
    divergedAt = err.step;
  }
  const lastStep = history.length ? history[history.length - 1].step : 0;
  let final: EvalRecord;
  if (divergedAt !== null) {
    final = { step: lastStep, loss: NaN, ...(o.task.kind === 'classification' ? { accuracy: NaN } : {}) };
  } else if (o.evalBatch) {
    final = task.evals[task.evals.length - 1];
  } else {
    final = { step: lastStep, loss: history.length ? history[history.length - 1].loss : NaN };
  }
  return {
    history,
    evals: task.evals,
    diverged: divergedAt !== null,
    divergedAt,
    final,
    ms: performance.now() - t0,
  };
}
