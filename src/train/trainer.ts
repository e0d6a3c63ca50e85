/**
 * The training loop every kioku model uses: optimizer and LR schedule, gradient clipping
 * (global norm by default, or element-wise), periodic validation, atomic checkpoints named
 * with their validation loss, exact resume, a guard that stops on NaN or exploding loss,
 * and progress events (loss, grad/param norms, tokens/s, ETA). Every kioku model trains
 * through it: char LM, handwriting, sentiment, forecasting, seq2seq, word2vec, and the
 * experiments' short in-memory runs (no store).
 *
 * The guard's bound: with `explodeFactor` f (default 3, as char-rnn) and the run's first
 * training loss L₀ (kept across resumes), a training loss above f·L₀, a validation loss
 * above f·L₀, or any non-finite loss, gradient or weight stops the run with
 * `TrainingDivergedError`. A checkpoint is only written after a validation within the bound,
 * so the "last good" checkpoint — the newest one — is one whose validation loss was within
 * the bound; a resume from it that diverges again stops again (L₀ is restored, not re-measured).
 * `skipNonFinite: N` instead skips up to N−1 consecutive non-finite steps (no update), for
 * models with rare bad batches (Graves's handwriting MDN).
 *
 * The model-specific part — which batch comes next, forward, loss, backward, and what
 * state must survive a resume (data position, carried hidden state, RNG states) — is a
 * `TrainTask`. See `wings/charlm/task.ts` for truncated BPTT over a text corpus.
 *
 * Memory: each step (trainBatch, clipping, optimizer step) and each `validate()` runs in a
 * memory scope (`tensor/scope.ts`, the one memory-release policy): backend buffers allocated
 * there are released when it ends, so a task must `keep` what it carries to the next step
 * (a truncated-BPTT hidden state). Parameters and optimizer state are allocated outside.
 *
 * ```ts
 * const trainer = new Trainer(task, { optimizer: 'adam', lr: 2e-3, clip: 5, steps: 1000, store: new RunDir('runs/lm') },
 *   { checkpointMeta: () => ({ config, extra: { vocab } }), onEvent: (e) => console.log(e) });
 * const result = trainer.run();
 * ```
 */
import type { Checkpoint } from '../io/checkpoint-codec.js';
import type { FloatArray } from '../tensor/tensor.js';
import { type Module, packParameters, type Parameter } from '../nn/module.js';
import { clipGradNorm, clipGradValue, gradNorm, paramNorm } from '../optim/clip.js';
import { createOptimizer, type OptimizerKind, optimizerFromState } from '../optim/factory.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { ConstantLR, type Schedule, type ScheduleJSON, scheduleFromJSON } from '../optim/schedule.js';
import { checkNumber, KiokuError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/event-loop.js';
import { openScope, withScope } from '../tensor/scope.js';
import type { RunStore } from './run-store.js';

/** The model-specific half of training. */
export interface TrainTask {
  /** The module whose parameters are trained. */
  readonly model: Module;
  /** Forward and backward on the next training batch; gradients accumulate into the parameters. */
  trainBatch(): { loss: number; tokens: number };
  /** Mean validation loss; must not change parameters, RNG states or the training position. */
  validate(): number;
  /** JSON-serialisable state for exact resume: data position, carried state, RNG states. */
  getState(): unknown;
  setState(state: unknown): void;
  /** Batches in one pass over the training data (needed for the `epochs` option). */
  readonly stepsPerEpoch?: number;
  /**
   * True when `trainBatch` updates the parameters itself (word2vec's sparse SGD with its
   * per-document learning rate, as the reference C tool does it): the Trainer then skips
   * clipping and the optimizer step (the gradient norm reads 0) and keeps everything else.
   */
  readonly updatesItself?: boolean;
}

export type ClipMode = 'norm' | 'value' | 'none';

export interface TrainerOptions {
  optimizer: OptimizerKind;
  lr: number;
  /** Extra optimizer options (betas, momentum, ...). */
  optimizerOptions?: Record<string, unknown>;
  /** LR schedule as a function of the step; constant when absent. */
  schedule?: ScheduleJSON;
  /** Clipping threshold (global L2 norm, or absolute value for 'value'). Default 5. */
  clip?: number;
  clipMode?: ClipMode;
  /**
   * Another implementation of the clipping `clipMode` names (e.g. a learner's, in
   * `kioku exercise check clipping`): clips the gradients in place, returns the norm before.
   */
  clipWith?: (params: readonly Parameter[], threshold: number) => number;
  /** Stop after this many steps in total (including steps before a resume) ... */
  steps?: number;
  /** ... or after this many passes over the data (steps = epochs × task.stepsPerEpoch) ... */
  epochs?: number;
  /** ... or after this many seconds of this run, whichever comes first. */
  timeSeconds?: number;
  /** Validate every N steps (and at the end). Default 100. */
  validateEvery?: number;
  /** Checkpoint every N steps (and at the end). Default 500. Needs `store`. */
  checkpointEvery?: number;
  /** Where checkpoints go (`RunDir` in `src/node/run-dir.ts` on Node); none are written without one. */
  store?: RunStore;
  /** Named checkpoints the store keeps (oldest removed first). Default 5. */
  keepCheckpoints?: number;
  /**
   * Stop when the training or validation loss exceeds this factor times the run's first
   * loss (char-rnn uses 3; default 3). 0 turns the bound off (losses that can be negative,
   * such as a mixture density's NLL); non-finite values still stop the run.
   */
  explodeFactor?: number;
  /**
   * Stop when a training loss exceeds this absolute value (e.g. 100× a task's chance-level
   * loss, as the experiments use); none by default.
   */
  maxLoss?: number;
  /**
   * Skip a step whose loss or gradient is non-finite (no update) instead of stopping, and
   * stop after this many such steps in a row. 0 (default): stop at the first one.
   */
  skipNonFinite?: number;
  /** At the end, put back the weights of the best validation loss (early-stopping selection). */
  keepBest?: boolean;
  /**
   * Weight averaging (Polyak & Juditsky 1992; "SWA", Izmailov et al. 2018): from this step
   * on, keep the running mean of the weights after every update, and at the end make that
   * mean the result (then validate it). Averaging the iterates of the last part of a run
   * smooths the noise of the final updates, which often generalises better than the last
   * iterate. Typical: the last 25–50% of the steps. Not with `keepBest` or `updatesItself`.
   */
  averageFrom?: number;
}

export type TrainEvent =
  | {
      type: 'step';
      step: number;
      totalSteps: number | null;
      loss: number;
      lr: number;
      gradNorm: number;
      paramNorm: number;
      /** ‖Δθ‖ / ‖θ‖ of this update: ~1e-3 is healthy (Karpathy's rule of thumb). */
      updateRatio: number;
      /** ‖Δθ‖: the size of the step actually taken. */
      updateNorm: number;
      tokensPerSec: number;
      etaSeconds: number | null;
      elapsedSeconds: number;
    }
  | { type: 'skip'; step: number; loss: number; gradNorm: number }
  | { type: 'validate'; step: number; valLoss: number }
  | { type: 'checkpoint'; step: number; path: string; valLoss: number };

export interface TrainerHooks {
  onEvent?: (e: TrainEvent) => void;
  /** Asked before every step: true stops the run with a checkpoint (Ctrl-C; see `src/node/run-dir.ts`). */
  shouldStop?: () => boolean;
  /** What a checkpoint stores besides weights and optimizer: the config and free JSON (vocabulary, ...). */
  checkpointMeta?: () => { config: unknown; extra?: Record<string, unknown> };
}

export interface HistoryRow {
  step: number;
  loss: number;
  valLoss?: number;
  lr: number;
  gradNorm: number;
}

export interface TrainResult {
  steps: number;
  stoppedBy: 'steps' | 'time' | 'interrupt';
  finalLoss: number;
  valLoss: number;
  tokensPerSec: number;
  seconds: number;
  checkpoint: string | null;
  history: HistoryRow[];
  /** Steps skipped for a non-finite loss or gradient (`skipNonFinite`), over the whole run. */
  skippedSteps: number;
  /** With `keepBest`: the step whose weights were kept. */
  bestStep?: number;
  /** With `averageFrom`: how many updates the averaged weights (the result) are the mean of. */
  averagedSteps?: number;
}

/** The Trainer's own state in a checkpoint (besides the task's): what the guard and `keepBest` need. */
interface TrainerState {
  firstLoss: number | null;
  skippedSteps: number;
  best?: { step: number; valLoss: number; params: number[][] };
  /** The running mean of the weights (`averageFrom`) over `count` updates. */
  average?: { count: number; params: number[][] };
}

/** Training stopped because the loss or gradient turned non-finite or exploded. */
export class TrainingDivergedError extends KiokuError {
  constructor(
    message: string,
    readonly step: number,
    readonly lastGoodCheckpoint: string | null,
    /** The loss and gradient norm (before clipping) of the step that stopped the run. */
    readonly loss: number = NaN,
    readonly gradNorm: number = NaN,
  ) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/**
 * `averageFrom` for averaging the weights over the last fraction `p` of `totalSteps`
 * (`--average-last p`); undefined (no averaging) for p = 0.
 *
 * ```ts
 * averageFromFraction(1564, 0.5); // 782: the mean of the iterates after steps 783…1564
 * ```
 */
export function averageFromFraction(totalSteps: number, p: number): number | undefined {
  checkNumber('averageFromFraction', 'p', p, { min: 0, max: 1 });
  return p > 0 ? Math.floor(totalSteps * (1 - p)) : undefined;
}

/** Fixed-width step numbers so checkpoint names sort by step. */
function checkpointName(step: number, valLoss: number): string {
  return `step-${String(step).padStart(7, '0')}-val-${valLoss.toFixed(4)}.safetensors`;
}

export class Trainer {
  readonly optimizer: Optimizer;
  step = 0;
  readonly history: HistoryRow[] = [];
  private readonly schedule: Schedule;
  private readonly baseLr: number;
  private lastGood: string | null = null;
  private firstLoss: number | null = null;
  private skippedSteps = 0;
  private validatedAt = -1;
  private best: { step: number; valLoss: number; params: FloatArray[] } | null = null;
  /** Running mean of the weights since `averageFrom`, in float64 (a float32 mean drifts over thousands of updates). */
  private average: { count: number; params: Float64Array[] } | null = null;
  private readonly o: Required<
    Omit<
      TrainerOptions,
      | 'steps'
      | 'epochs'
      | 'timeSeconds'
      | 'store'
      | 'schedule'
      | 'optimizerOptions'
      | 'maxLoss'
      | 'clipWith'
      | 'averageFrom'
    >
  > &
    TrainerOptions;

  constructor(
    readonly task: TrainTask,
    options: TrainerOptions,
    private readonly hooks: TrainerHooks = {},
  ) {
    const where = 'Trainer';
    this.o = {
      clip: 5,
      clipMode: 'norm',
      validateEvery: 100,
      checkpointEvery: 500,
      keepCheckpoints: 5,
      explodeFactor: 3,
      skipNonFinite: 0,
      keepBest: false,
      ...options,
    };
    const o = this.o;
    this.baseLr = checkNumber(where, 'lr', o.lr, { min: 0 });
    checkNumber(where, 'clip', o.clip, { min: 0 });
    if (!['norm', 'value', 'none'].includes(o.clipMode)) {
      throw new KiokuError(
        `${where}: clipMode must be norm, value or none, got ${JSON.stringify(o.clipMode)}`,
      );
    }
    if (o.epochs !== undefined) {
      checkNumber(where, 'epochs', o.epochs, { min: 1, integer: true });
      if (o.steps !== undefined) throw new KiokuError(`${where}: give steps or epochs, not both`);
      const per = task.stepsPerEpoch;
      if (per === undefined || !(per >= 1))
        throw new KiokuError(`${where}: epochs needs a task that knows its stepsPerEpoch, got ${per}`);
      o.steps = o.epochs * per;
    }
    if (o.steps === undefined && o.timeSeconds === undefined)
      throw new KiokuError(`${where}: give steps or timeSeconds`);
    if (o.steps !== undefined) checkNumber(where, 'steps', o.steps, { min: 1, integer: true });
    if (o.timeSeconds !== undefined) checkNumber(where, 'timeSeconds', o.timeSeconds, { min: 0.001 });
    if (o.maxLoss !== undefined) checkNumber(where, 'maxLoss', o.maxLoss);
    checkNumber(where, 'validateEvery', o.validateEvery, { min: 1, integer: true });
    checkNumber(where, 'checkpointEvery', o.checkpointEvery, { min: 1, integer: true });
    if (o.explodeFactor !== 0) checkNumber(where, 'explodeFactor', o.explodeFactor, { min: 1 });
    checkNumber(where, 'skipNonFinite', o.skipNonFinite, { min: 0, integer: true });
    if (o.averageFrom !== undefined) {
      checkNumber(where, 'averageFrom', o.averageFrom, { min: 0, integer: true });
      if (o.keepBest) throw new KiokuError(`${where}: give keepBest or averageFrom, not both`);
      if (task.updatesItself)
        throw new KiokuError(
          `${where}: averageFrom needs the Trainer's own updates (this task updates itself)`,
        );
    }
    this.schedule = o.schedule ? scheduleFromJSON(o.schedule) : new ConstantLR();
    // One flat value buffer and one gradient buffer in backend memory: the optimizer's update
    // and the clipping norm become single loops, and WASM kernels read weights in place.
    packParameters(task.model.parameters());
    this.optimizer = createOptimizer(o.optimizer, task.model.parameters(), {
      ...(o.optimizerOptions ?? {}),
      lr: this.baseLr,
    } as never);
  }

  /** Continue from a checkpoint: weights, optimizer state, step, task state (data position, carried state, RNGs). */
  resume(ckpt: Checkpoint): void {
    this.task.model.loadStateDict(ckpt.model);
    if (!ckpt.optimizer) throw new KiokuError('resume: the checkpoint holds no optimizer state');
    const restored = optimizerFromState(
      this.task.model.parameters(),
      ckpt.optimizer as unknown as OptimizerState,
    );
    if (restored.kind !== this.optimizer.kind) {
      throw new KiokuError(
        `resume: checkpoint optimizer is ${restored.kind}, this run uses ${this.optimizer.kind}`,
      );
    }
    this.optimizer.loadState(ckpt.optimizer as unknown as OptimizerState);
    this.step = ckpt.step;
    const extra = (ckpt.extra ?? {}) as { task?: unknown; history?: HistoryRow[]; trainer?: TrainerState };
    if (extra.task === undefined) throw new KiokuError('resume: the checkpoint holds no training position');
    this.task.setState(extra.task);
    if (Array.isArray(extra.history)) this.history.push(...extra.history);
    const t = extra.trainer;
    if (t) {
      this.firstLoss = t.firstLoss;
      this.skippedSteps = t.skippedSteps;
      const params = this.task.model.parameters();
      if (t.best) {
        const saved = t.best.params;
        this.best = {
          ...t.best,
          params: params.map((p, i) => {
            const a = p.value.data.slice();
            a.set(saved[i]);
            return a;
          }),
        };
      }
      if (t.average) {
        const saved = t.average.params;
        if (saved.length !== params.length || saved.some((a, i) => a.length !== params[i].value.data.length))
          throw new KiokuError('resume: the averaged weights in the checkpoint do not match the model');
        this.average = { count: t.average.count, params: saved.map((a) => Float64Array.from(a)) };
      }
    }
    this.lastGood = this.o.store?.latest ?? null;
  }

  /** The step count this run stops at (`steps`, or `epochs` × steps per epoch); null for a time budget only. */
  get totalSteps(): number | null {
    return this.o.steps ?? null;
  }

  /**
   * The loop as a generator, one `yield` per finished step (after its events, validation and
   * checkpoint): a caller can interleave several runs step by step (the lab's comparison bench
   * trains RNN, LSTM and GRU side by side this way) and still gets `run()`'s exact numbers.
   */
  steps(): Generator<void, TrainResult> {
    return this.loop();
  }

  /** Train until `steps` in total or `timeSeconds` of this run have passed (synchronously). */
  run(): TrainResult {
    const steps = this.loop();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /**
   * `run()`, but letting the event loop turn after every step (timers, signal handlers,
   * progress output; the GC's finalizers recycle what scopes do not). Same numbers as `run()`.
   */
  async runAsync(): Promise<TrainResult> {
    const steps = this.loop();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await yieldToEventLoop();
    }
  }

  /** The training loop, one `yield` per step. */
  private *loop(): Generator<void, TrainResult> {
    const o = this.o;
    const params = this.task.model.parameters();
    const t0 = performance.now();
    let tokens = 0;
    let lastLoss = NaN;
    let valLoss = NaN;
    let badInARow = 0;
    let stoppedBy: TrainResult['stoppedBy'] = 'steps';
    const startStep = this.step;
    const prev = params.map((p) => p.value.data.slice());
    for (;;) {
      const elapsed = (performance.now() - t0) / 1000;
      if (o.steps !== undefined && this.step >= o.steps) break;
      if (o.timeSeconds !== undefined && elapsed >= o.timeSeconds) {
        stoppedBy = 'time';
        break;
      }
      if (this.hooks.shouldStop?.()) {
        stoppedBy = 'interrupt';
        break;
      }
      const lr = this.schedule.lrAt(this.step, this.baseLr);
      this.optimizer.lr = lr;
      const own = this.task.updatesItself === true;
      if (own) for (let i = 0; i < params.length; i++) prev[i].set(params[i].value.data);
      else this.task.model.zeroGrad();
      // The step's memory scope (policy: tensor/scope.ts): forward/backward buffers, caches
      // and clipping scratch are released when the step's update is done.
      const scope = openScope();
      let row: HistoryRow | null = null;
      let skipped: { loss: number; gradNorm: number } | null = null;
      try {
        let batch: { loss: number; tokens: number };
        try {
          batch = this.task.trainBatch();
        } catch (err) {
          // A layer refusing NaN input means the weights feeding it have gone bad.
          if (err instanceof KiokuError && !Number.isFinite(paramNorm(params))) {
            this.diverged(`parameters are no longer finite (${err.message})`, lr, NaN);
          }
          throw err;
        }
        const { loss, tokens: n } = batch;
        tokens += n;
        const gNorm = Number.isFinite(loss) ? (own ? 0 : this.clipNorm(params)) : NaN;
        if (!Number.isFinite(loss) || !Number.isFinite(gNorm)) {
          // A bad batch: skip it (no update) while `skipNonFinite` allows, else stop.
          const what = !Number.isFinite(loss) ? `loss is ${loss}` : `gradient norm is ${gNorm}`;
          if (++badInARow >= Math.max(o.skipNonFinite, 1))
            this.diverged(
              o.skipNonFinite > 0 ? `${badInARow} steps in a row: ${what}` : what,
              lr,
              gNorm,
              this.step + 1,
              loss,
            );
          this.skippedSteps++;
          this.step++;
          skipped = { loss, gradNorm: gNorm };
        } else {
          badInARow = 0;
          this.firstLoss ??= loss;
          if (o.explodeFactor > 0 && loss > o.explodeFactor * this.firstLoss) {
            this.diverged(
              `loss ${loss.toFixed(4)} exploded past ${o.explodeFactor}× the first loss ${this.firstLoss.toFixed(4)}`,
              lr,
              gNorm,
              this.step + 1,
              loss,
            );
          }
          if (o.maxLoss !== undefined && loss > o.maxLoss)
            this.diverged(`loss ${loss.toFixed(4)} is above ${o.maxLoss}`, lr, gNorm, this.step + 1, loss);
          if (!own) {
            if (o.clipMode === 'value' && !o.clipWith) clipGradValue(params, o.clip);
            for (let i = 0; i < params.length; i++) prev[i].set(params[i].value.data);
            this.optimizer.step();
          }
          this.step++;
          if (o.averageFrom !== undefined && this.step > o.averageFrom) this.accumulateAverage(params);
          lastLoss = loss;
          row = { step: this.step, loss, lr, gradNorm: gNorm };
          this.history.push(row);
        }
      } finally {
        scope.close();
      }
      if (skipped) this.hooks.onEvent?.({ type: 'skip', step: this.step, ...skipped });
      if (row) this.emitStep(row, params, prev, tokens, t0, startStep);
      const last = o.steps !== undefined && this.step >= o.steps;
      if (this.step % o.validateEvery === 0 || this.step % o.checkpointEvery === 0 || last) {
        valLoss = this.validate(row, lr);
      }
      if (o.store && this.step % o.checkpointEvery === 0 && !last) this.checkpoint(valLoss);
      yield;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (this.step > startStep && this.validatedAt !== this.step) {
      const lastRow = this.history.at(-1);
      valLoss = this.validate(lastRow?.step === this.step ? lastRow : null, this.optimizer.lr);
    }
    let averagedSteps: number | undefined;
    if (this.average && stoppedBy !== 'interrupt') {
      // The mean of the iterates is the result; its validation loss is the run's.
      const avg = this.average;
      params.forEach((p, i) => p.value.data.set(avg.params[i]));
      averagedSteps = avg.count;
      valLoss = this.validate(null, this.optimizer.lr, false);
    }
    let bestStep: number | undefined;
    if (o.keepBest && this.best && stoppedBy !== 'interrupt') {
      // Early-stopping selection: the weights of the best validation loss are the result.
      params.forEach((p, i) => p.value.data.set(this.best!.params[i]));
      bestStep = this.best.step;
      valLoss = this.best.valLoss;
    }
    const checkpoint = o.store && this.step > startStep ? this.checkpoint(valLoss) : this.lastGood;
    return {
      steps: this.step,
      stoppedBy,
      finalLoss: lastLoss,
      valLoss,
      tokensPerSec: tokens / seconds,
      seconds,
      checkpoint,
      history: this.history,
      skippedSteps: this.skippedSteps,
      ...(bestStep !== undefined ? { bestStep } : {}),
      ...(averagedSteps !== undefined ? { averagedSteps } : {}),
    };
  }

  /** avg ← avg + (θ − avg) / n: the running mean of the weights after this update. */
  private accumulateAverage(params: readonly Parameter[]): void {
    const avg = (this.average ??= {
      count: 0,
      params: params.map((p) => new Float64Array(p.value.data.length)),
    });
    avg.count++;
    const inv = 1 / avg.count;
    for (let i = 0; i < params.length; i++) {
      const a = avg.params[i];
      const w = params[i].value.data;
      for (let j = 0; j < a.length; j++) a[j] += (w[j] - a[j]) * inv;
    }
  }

  /** The gradient's global norm before clipping; clips by norm here (or with `clipWith`). */
  private clipNorm(params: Parameter[]): number {
    const o = this.o;
    if (o.clipMode !== 'none' && o.clipWith) return o.clipWith(params, o.clip);
    return o.clipMode === 'norm' && o.clip > 0 ? clipGradNorm(params, o.clip) : gradNorm(params);
  }

  /** Progress event of a completed update (norms, update ratio, speed, ETA). */
  private emitStep(
    row: HistoryRow,
    params: readonly Parameter[],
    prev: readonly FloatArray[],
    tokens: number,
    t0: number,
    startStep: number,
  ): void {
    const o = this.o;
    const pNorm = paramNorm(params);
    if (!Number.isFinite(pNorm))
      this.diverged(
        'parameters became non-finite after the update',
        row.lr,
        row.gradNorm,
        row.step,
        row.loss,
      );
    if (!this.hooks.onEvent) return;
    let dNorm = 0;
    for (let i = 0; i < params.length; i++) {
      const a = params[i].value.data;
      const b = prev[i];
      for (let j = 0; j < a.length; j++) dNorm += (a[j] - b[j]) ** 2;
    }
    const now = (performance.now() - t0) / 1000;
    const perStep = now / (this.step - startStep);
    const eta =
      o.steps !== undefined
        ? Math.min(
            (o.steps - this.step) * perStep,
            o.timeSeconds !== undefined ? o.timeSeconds - now : Infinity,
          )
        : o.timeSeconds !== undefined
          ? o.timeSeconds - now
          : null;
    this.hooks.onEvent({
      type: 'step',
      step: this.step,
      totalSteps: o.steps ?? null,
      loss: row.loss,
      lr: row.lr,
      gradNorm: row.gradNorm,
      paramNorm: pNorm,
      updateRatio: pNorm > 0 ? Math.sqrt(dNorm) / pNorm : 0,
      updateNorm: Math.sqrt(dNorm),
      tokensPerSec: tokens / now,
      etaSeconds: eta,
      elapsedSeconds: now,
    });
  }

  /**
   * Validate, stop if the validation loss is outside the guard's bound, and track the best
   * weights. `track` false: a validation of weights that are not an iterate (the average).
   */
  private validate(row: HistoryRow | null, lr: number, track = true): number {
    const v = withScope(() => this.task.validate());
    if (track) this.validatedAt = this.step;
    if (row) row.valLoss = v;
    this.hooks.onEvent?.({ type: 'validate', step: this.step, valLoss: v });
    const f = this.o.explodeFactor;
    const g = row?.gradNorm ?? NaN;
    if (!Number.isFinite(v)) this.diverged(`validation loss is ${v}`, lr, g, this.step);
    if (f > 0 && this.firstLoss !== null && this.firstLoss > 0 && v > f * this.firstLoss) {
      this.diverged(
        `validation loss ${v.toFixed(4)} is past the guard's bound ${f}× the first loss ${this.firstLoss.toFixed(4)}`,
        lr,
        g,
        this.step,
      );
    }
    if (this.o.keepBest && (this.best === null || v < this.best.valLoss)) {
      const params = this.task.model.parameters();
      this.best = { step: this.step, valLoss: v, params: params.map((p) => p.value.data.slice()) };
    }
    return v;
  }

  /** Everything needed to resume exactly, as a checkpoint record. */
  snapshot(): Checkpoint {
    const meta = this.hooks.checkpointMeta?.() ?? { config: {} };
    return {
      config: meta.config,
      model: this.task.model.stateDict(),
      optimizer: this.optimizer.state() as unknown as Checkpoint['optimizer'],
      step: this.step,
      extra: {
        ...(meta.extra ?? {}),
        task: this.task.getState(),
        history: this.history,
        trainer: this.trainerState(),
      },
    };
  }

  private trainerState(): TrainerState {
    const b = this.best;
    const avg = this.average;
    return {
      firstLoss: this.firstLoss,
      skippedSteps: this.skippedSteps,
      ...(b
        ? { best: { step: b.step, valLoss: b.valLoss, params: b.params.map((a) => Array.from(a)) } }
        : {}),
      ...(avg ? { average: { count: avg.count, params: avg.params.map((a) => Array.from(a)) } } : {}),
    };
  }

  /** Save a named checkpoint (and the latest model) through the store, pruning the oldest. */
  private checkpoint(valLoss: number): string {
    const store = this.o.store;
    if (!store) throw new KiokuError('Trainer: checkpoint without a store');
    const named = store.saveCheckpoint(checkpointName(this.step, valLoss), this.snapshot());
    this.lastGood = named;
    const old = store.listCheckpoints();
    for (const f of old.slice(0, Math.max(0, old.length - this.o.keepCheckpoints))) store.removeCheckpoint(f);
    this.hooks.onEvent?.({ type: 'checkpoint', step: this.step, path: named, valLoss });
    return named;
  }

  private diverged(what: string, lr: number, gNorm: number, step = this.step + 1, loss = NaN): never {
    const keep = this.lastGood
      ? `the last good checkpoint is kept at ${this.lastGood}`
      : 'no checkpoint had been written yet';
    throw new TrainingDivergedError(
      `training stopped at step ${step}: ${what} (grad norm ${Number.isFinite(gNorm) ? gNorm.toFixed(3) : gNorm}, lr ${lr}); ${keep}. ` +
        'Try a lower --lr or a smaller --clip.',
      step,
      this.lastGood,
      loss,
      gNorm,
    );
  }
}
