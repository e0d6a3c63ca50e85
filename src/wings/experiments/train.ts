/**
 * A small, explicit training loop for the experiments: sample a batch, forward with loss,
 * backward, clip, step — and record everything a report plots (loss, gradient norm before
 * and after clipping, the size of the update). It stops a run the moment it diverges
 * (loss NaN/∞ or far above the task's baseline), because a diverged run is a result here,
 * not an error.
 *
 * ```ts
 * const r = trainRun({ task, model, optimizer: new Adam(model.parameters(), { lr: 1e-2 }),
 *                      steps: 500, batch: 32, seed: 0, clip: { mode: 'norm', threshold: 1 } });
 * r.history.at(-1)?.loss; r.final.loss; r.diverged;
 * ```
 */
import type { SyntheticTask, TaskBatch } from './synthetic.js';
import { clipGradNorm, clipGradValue, gradNorm } from '../../optim/clip.js';
import type { Optimizer } from '../../optim/optimizer.js';
import { Rng } from '../../util/rng.js';
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
  optimizer: Optimizer;
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

/** Train for `steps` steps (or until divergence). */
export function trainRun(o: TrainRunOptions): TrainRunResult {
  const t0 = performance.now();
  const rng = new Rng(o.seed);
  const params = o.model.parameters();
  const divergeAbove = o.divergeAbove ?? 100 * o.task.baseline.loss;
  const track = o.trackUpdate ?? true;
  const total = params.reduce((n, p) => n + p.value.size, 0);
  const before = new Float64Array(track ? total : 0);
  const history: StepRecord[] = [];
  const evals: EvalRecord[] = [];
  let divergedAt: number | null = null;
  let stopped: EvalRecord | null = null;
  for (let step = 1; step <= o.steps; step++) {
    const batch = o.task.sample(o.batch, rng);
    const r = o.model.run(o.task, batch);
    o.model.zeroGrad();
    r.backward();
    const { before: gn, after: cn } = applyClip(o.model, o.clip);
    const bad = !Number.isFinite(r.loss) || r.loss > divergeAbove || !Number.isFinite(gn);
    if (bad) {
      history.push({ step, loss: r.loss, gradNorm: gn, clippedNorm: cn, updateNorm: NaN });
      o.onStep?.(history[history.length - 1]);
      divergedAt = step;
      break;
    }
    if (track) {
      let off = 0;
      for (const p of params) {
        before.set(p.value.data, off);
        off += p.value.size;
      }
    }
    o.optimizer.step();
    let updateNorm = NaN;
    if (track) {
      let s = 0;
      let off = 0;
      for (const p of params) {
        const v = p.value.data;
        for (let i = 0; i < v.length; i++) {
          const d = v[i] - before[off + i];
          s += d * d;
        }
        off += v.length;
      }
      updateNorm = Math.sqrt(s);
    }
    const rec: StepRecord = { step, loss: r.loss, gradNorm: gn, clippedNorm: cn, updateNorm };
    history.push(rec);
    o.onStep?.(rec);
    if (o.evalBatch && o.evalEvery && step % o.evalEvery === 0 && step < o.steps) {
      const e = evaluate(o.task, o.model, o.evalBatch, step);
      evals.push(e);
      if (o.stopWhen?.(e)) {
        stopped = e;
        break;
      }
    }
  }
  const lastStep = history.length ? history[history.length - 1].step : 0;
  let final: EvalRecord;
  if (divergedAt !== null) {
    final = { step: lastStep, loss: NaN, ...(o.task.kind === 'classification' ? { accuracy: NaN } : {}) };
  } else if (stopped) {
    final = stopped;
  } else if (o.evalBatch) {
    final = evaluate(o.task, o.model, o.evalBatch, lastStep);
  } else {
    final = { step: lastStep, loss: history.length ? history[history.length - 1].loss : NaN };
  }
  if (o.evalBatch && divergedAt === null && !stopped) evals.push(final);
  return { history, evals, diverged: divergedAt !== null, divergedAt, final, ms: performance.now() - t0 };
}
