/**
 * The training loop every kioku model uses: optimizer and LR schedule, gradient clipping
 * (global norm by default, or element-wise), periodic validation, atomic checkpoints named
 * with their validation loss, exact resume, a guard that stops on NaN or exploding loss,
 * and progress events (loss, grad/param norms, tokens/s, ETA).
 *
 * The model-specific part — which batch comes next, forward, loss, backward, and what
 * state must survive a resume (data position, carried hidden state, RNG states) — is a
 * `TrainTask`. See `train/charlm-task.ts` for truncated BPTT over a text corpus.
 *
 * ```ts
 * const trainer = new Trainer(task, { optimizer: 'adam', lr: 2e-3, clip: 5, steps: 1000, store: new RunDir('runs/lm') },
 *   { checkpointMeta: () => ({ config, extra: { vocab } }), onEvent: (e) => console.log(e) });
 * const result = trainer.run();
 * ```
 */
import type { Checkpoint } from '../io/checkpoint-codec.js';
import { type Module, packParameters } from '../nn/module.js';
import { clipGradNorm, clipGradValue, gradNorm, paramNorm } from '../optim/clip.js';
import { createOptimizer, type OptimizerKind, optimizerFromState } from '../optim/factory.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { ConstantLR, type Schedule, type ScheduleJSON, scheduleFromJSON } from '../optim/schedule.js';
import { checkNumber, KiokuError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/event-loop.js';
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
  /** Stop after this many steps in total (including steps before a resume) ... */
  steps?: number;
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
  /** Stop when the loss exceeds this factor times the run's first loss (char-rnn uses 3). */
  explodeFactor?: number;
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
      tokensPerSec: number;
      etaSeconds: number | null;
      elapsedSeconds: number;
    }
  | { type: 'validate'; step: number; valLoss: number }
  | { type: 'checkpoint'; step: number; path: string; valLoss: number };

export interface TrainerHooks {
  onEvent?: (e: TrainEvent) => void;
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
  stoppedBy: 'steps' | 'time';
  finalLoss: number;
  valLoss: number;
  tokensPerSec: number;
  seconds: number;
  checkpoint: string | null;
  history: HistoryRow[];
}

/** Training stopped because the loss or gradient turned non-finite or exploded. */
export class TrainingDivergedError extends KiokuError {
  constructor(
    message: string,
    readonly step: number,
    readonly lastGoodCheckpoint: string | null,
  ) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
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
  private readonly o: Required<
    Omit<TrainerOptions, 'steps' | 'timeSeconds' | 'store' | 'schedule' | 'optimizerOptions'>
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
    if (o.steps === undefined && o.timeSeconds === undefined)
      throw new KiokuError(`${where}: give steps or timeSeconds`);
    if (o.steps !== undefined) checkNumber(where, 'steps', o.steps, { min: 1, integer: true });
    if (o.timeSeconds !== undefined) checkNumber(where, 'timeSeconds', o.timeSeconds, { min: 0.001 });
    checkNumber(where, 'validateEvery', o.validateEvery, { min: 1, integer: true });
    checkNumber(where, 'checkpointEvery', o.checkpointEvery, { min: 1, integer: true });
    checkNumber(where, 'explodeFactor', o.explodeFactor, { min: 1 });
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
    const extra = (ckpt.extra ?? {}) as { task?: unknown; history?: HistoryRow[] };
    if (extra.task === undefined) throw new KiokuError('resume: the checkpoint holds no training position');
    this.task.setState(extra.task);
    if (Array.isArray(extra.history)) this.history.push(...extra.history);
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
   * `run()`, but letting the event loop turn after every step: the WASM backend recycles its
   * buffers from finalizers that only run between tasks, so long runs stay fast and small.
   * Same numbers as `run()`.
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
    let firstLoss: number | null = null;
    let lastLoss = NaN;
    let valLoss = NaN;
    let stoppedBy: 'steps' | 'time' = 'steps';
    const startStep = this.step;
    const prev = params.map((p) => p.value.data.slice());
    for (;;) {
      const elapsed = (performance.now() - t0) / 1000;
      if (o.steps !== undefined && this.step >= o.steps) break;
      if (o.timeSeconds !== undefined && elapsed >= o.timeSeconds) {
        stoppedBy = 'time';
        break;
      }
      const lr = this.schedule.lrAt(this.step, this.baseLr);
      this.optimizer.lr = lr;
      this.task.model.zeroGrad();
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
      if (!Number.isFinite(loss)) this.diverged(`loss is ${loss}`, lr, NaN);
      firstLoss ??= loss;
      if (loss > o.explodeFactor * firstLoss) {
        this.diverged(
          `loss ${loss.toFixed(4)} exploded past ${o.explodeFactor}× the first loss ${firstLoss.toFixed(4)}`,
          lr,
          gradNorm(params),
        );
      }
      const gNorm = o.clipMode === 'norm' ? clipGradNorm(params, o.clip) : gradNorm(params);
      if (!Number.isFinite(gNorm)) this.diverged(`gradient norm is ${gNorm}`, lr, gNorm);
      if (o.clipMode === 'value') clipGradValue(params, o.clip);
      for (let i = 0; i < params.length; i++) prev[i].set(params[i].value.data);
      this.optimizer.step();
      this.step++;
      lastLoss = loss;
      const pNorm = paramNorm(params);
      if (!Number.isFinite(pNorm)) this.diverged('parameters became non-finite after the update', lr, gNorm);
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
      const row: HistoryRow = { step: this.step, loss, lr, gradNorm: gNorm };
      this.history.push(row);
      this.hooks.onEvent?.({
        type: 'step',
        step: this.step,
        totalSteps: o.steps ?? null,
        loss,
        lr,
        gradNorm: gNorm,
        paramNorm: pNorm,
        updateRatio: pNorm > 0 ? Math.sqrt(dNorm) / pNorm : 0,
        tokensPerSec: tokens / now,
        etaSeconds: eta,
        elapsedSeconds: now,
      });
      const last = o.steps !== undefined && this.step >= o.steps;
      if (this.step % o.validateEvery === 0 || this.step % o.checkpointEvery === 0 || last) {
        valLoss = this.validate(row);
      }
      if (o.store && this.step % o.checkpointEvery === 0 && !last) this.checkpoint(valLoss);
      yield;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (this.step > startStep) {
      const lastRow = this.history[this.history.length - 1];
      if (lastRow.valLoss === undefined) valLoss = this.validate(lastRow);
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
    };
  }

  private validate(row: HistoryRow): number {
    const v = this.task.validate();
    row.valLoss = v;
    this.hooks.onEvent?.({ type: 'validate', step: this.step, valLoss: v });
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
      extra: { ...(meta.extra ?? {}), task: this.task.getState(), history: this.history },
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

  private diverged(what: string, lr: number, gNorm: number): never {
    const keep = this.lastGood
      ? `the last good checkpoint is kept at ${this.lastGood}`
      : 'no checkpoint had been written yet';
    throw new TrainingDivergedError(
      `training stopped at step ${this.step + 1}: ${what} (grad norm ${Number.isFinite(gNorm) ? gNorm.toFixed(3) : gNorm}, lr ${lr}); ${keep}. ` +
        'Try a lower --lr or a smaller --clip.',
      this.step + 1,
      this.lastGood,
    );
  }
}
