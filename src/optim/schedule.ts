/**
 * Learning-rate schedules as pure functions of the step: `lrAt(step, baseLr)` is the rate
 * for the update that follows `step` completed updates (so `lrAt(0, base) = base`, the
 * PyTorch convention where `scheduler.step()` runs after each `optimizer.step()`). No
 * hidden state: a resumed run only needs the step count and `toJSON()`.
 *
 * Values are the closed forms of PyTorch 1.13's `StepLR`, `ExponentialLR` and
 * `CosineAnnealingLR` (`_get_closed_form_lr`); PyTorch's recursive updates agree with them
 * to rounding (checked against fixtures).
 *
 * ```ts
 * const sched = withWarmup(new CosineAnnealingLR({ tMax: 10_000, etaMin: 1e-5 }), 500);
 * for (...) { applySchedule(opt, sched, 3e-3); opt.step(); }
 * const saved = sched.toJSON();           // {"kind":"warmup","warmupSteps":500,"then":{...}}
 * const again = scheduleFromJSON(saved);  // same function of the step
 * ```
 */
import { KiokuError } from '../util/errors.js';
import { describe, numberOption, readOptionBag } from './options.js';

/** The serialised form of a schedule (plain JSON). */
export type ScheduleJSON =
  | { kind: 'constant' }
  | { kind: 'step'; stepSize: number; gamma: number }
  | { kind: 'exponential'; gamma: number }
  | { kind: 'cosine'; tMax: number; etaMin: number }
  | { kind: 'linear'; total: number; start: number; final: number }
  | { kind: 'warmup'; warmupSteps: number; then: ScheduleJSON };

/** A learning rate as a pure function of the number of completed steps. */
export interface Schedule {
  readonly kind: ScheduleJSON['kind'];
  /** The learning rate for the update after `step` completed updates (step ≥ 0, integer). */
  lrAt(step: number, baseLr: number): number;
  toJSON(): ScheduleJSON;
}

function checkStep(where: string, step: number, baseLr: number): void {
  numberOption(where, 'step', step, undefined, { min: 0, integer: true });
  numberOption(where, 'baseLr', baseLr, undefined, { min: 0 });
}

/** The base rate at every step (what `LinearWarmup` ramps up to by default). */
export class ConstantLR implements Schedule {
  readonly kind = 'constant';

  lrAt(step: number, baseLr: number): number {
    checkStep('ConstantLR.lrAt', step, baseLr);
    return baseLr;
  }

  toJSON(): ScheduleJSON {
    return { kind: 'constant' };
  }
}

/**
 * Step decay: lr = base · γ^⌊step / stepSize⌋ (PyTorch `StepLR`).
 *
 * ```ts
 * new StepLR({ stepSize: 1000, gamma: 0.5 }).lrAt(2500, 0.1); // 0.025
 * ```
 */
export class StepLR implements Schedule {
  readonly kind = 'step';
  readonly stepSize: number;
  readonly gamma: number;

  constructor(options: { stepSize: number; gamma?: number }) {
    const o = readOptionBag('StepLR', options, ['stepSize', 'gamma']);
    this.stepSize = numberOption('StepLR', 'stepSize', o.stepSize, undefined, { min: 1, integer: true });
    this.gamma = numberOption('StepLR', 'gamma', o.gamma, 0.1, { min: 0 });
  }

  lrAt(step: number, baseLr: number): number {
    checkStep('StepLR.lrAt', step, baseLr);
    return baseLr * this.gamma ** Math.floor(step / this.stepSize);
  }

  toJSON(): ScheduleJSON {
    return { kind: 'step', stepSize: this.stepSize, gamma: this.gamma };
  }
}

/**
 * Exponential decay: lr = base · γ^step (PyTorch `ExponentialLR`; the "LR decay" of the
 * lecture, e.g. γ = 0.97 per epoch in char-rnn when stepped once per epoch).
 */
export class ExponentialLR implements Schedule {
  readonly kind = 'exponential';
  readonly gamma: number;

  constructor(options: { gamma: number }) {
    const o = readOptionBag('ExponentialLR', options, ['gamma']);
    this.gamma = numberOption('ExponentialLR', 'gamma', o.gamma, undefined, { min: 0 });
  }

  lrAt(step: number, baseLr: number): number {
    checkStep('ExponentialLR.lrAt', step, baseLr);
    return baseLr * this.gamma ** step;
  }

  toJSON(): ScheduleJSON {
    return { kind: 'exponential', gamma: this.gamma };
  }
}

/**
 * Cosine annealing (Loshchilov & Hutter 2017, SGDR, without restarts), closed form as in
 * PyTorch `CosineAnnealingLR`: lr = η_min + (base − η_min)(1 + cos(π·step / tMax)) / 2.
 * It reaches η_min at step = tMax and, like PyTorch's, rises again after it (period 2·tMax).
 */
export class CosineAnnealingLR implements Schedule {
  readonly kind = 'cosine';
  readonly tMax: number;
  readonly etaMin: number;

  constructor(options: { tMax: number; etaMin?: number }) {
    const o = readOptionBag('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    this.tMax = numberOption('CosineAnnealingLR', 'tMax', o.tMax, undefined, { min: 1, integer: true });
    this.etaMin = numberOption('CosineAnnealingLR', 'etaMin', o.etaMin, 0, { min: 0 });
  }

  lrAt(step: number, baseLr: number): number {
    checkStep('CosineAnnealingLR.lrAt', step, baseLr);
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * step) / this.tMax))) / 2;
  }

  toJSON(): ScheduleJSON {
    return { kind: 'cosine', tMax: this.tMax, etaMin: this.etaMin };
  }
}

/**
 * Linear warm-up (Goyal et al. 2017) in front of another schedule: for step < W,
 * lr = base · (step + 1) / W; afterwards the wrapped schedule runs from its own step 0,
 * lr = then.lrAt(step − W, base). (The same as PyTorch's
 * `SequentialLR([LinearLR(start_factor=1/W, total_iters=W−1), then], milestones=[W])`.)
 * W = 0 means no warm-up.
 *
 * ```ts
 * const s = new LinearWarmup({ warmupSteps: 4, then: new ExponentialLR({ gamma: 0.9 }) });
 * [0, 1, 2, 3, 4, 5].map((k) => s.lrAt(k, 1)); // [0.25, 0.5, 0.75, 1, 1, 0.9]
 * ```
 */
export class LinearWarmup implements Schedule {
  readonly kind = 'warmup';
  readonly warmupSteps: number;
  readonly then: Schedule;

  constructor(options: { warmupSteps: number; then?: Schedule }) {
    const o = readOptionBag('LinearWarmup', options, ['warmupSteps', 'then']);
    this.warmupSteps = numberOption('LinearWarmup', 'warmupSteps', o.warmupSteps, undefined, {
      min: 0,
      integer: true,
    });
    const then = o.then ?? new ConstantLR();
    if (then === null || typeof then !== 'object' || typeof (then as Schedule).lrAt !== 'function') {
      throw new KiokuError(`LinearWarmup: then must be a Schedule, got ${describe(then)}`);
    }
    this.then = then as Schedule;
  }

  lrAt(step: number, baseLr: number): number {
    checkStep('LinearWarmup.lrAt', step, baseLr);
    const w = this.warmupSteps;
    return step < w ? (baseLr * (step + 1)) / w : this.then.lrAt(step - w, baseLr);
  }

  toJSON(): ScheduleJSON {
    return { kind: 'warmup', warmupSteps: this.warmupSteps, then: this.then.toJSON() };
  }
}

/**
 * Linear decay: the base rate until step `start`, then a straight line down to
 * `base · final` at step `total − 1` (the last update of a `total`-step run), constant after:
 * lr = base · (1 + (final − 1) · (step − start) / (total − 1 − start)). Graves (2013)-style
 * runs use `start = 0`; "decay over the second half" is `start = total / 2`.
 *
 * ```ts
 * new LinearLR({ total: 101, final: 0.1 }).lrAt(100, 1); // 0.1
 * ```
 */
export class LinearLR implements Schedule {
  readonly kind = 'linear';
  readonly total: number;
  readonly start: number;
  readonly final: number;

  constructor(options: { total: number; start?: number; final: number }) {
    const o = readOptionBag('LinearLR', options, ['total', 'start', 'final']);
    this.total = numberOption('LinearLR', 'total', o.total, undefined, { min: 1, integer: true });
    this.start = numberOption('LinearLR', 'start', o.start, 0, { min: 0, integer: true });
    this.final = numberOption('LinearLR', 'final', o.final, undefined, { min: 0 });
  }

  lrAt(step: number, baseLr: number): number {
    checkStep('LinearLR.lrAt', step, baseLr);
    if (step <= this.start) return baseLr;
    const span = Math.max(this.total - 1 - this.start, 1);
    return baseLr * (1 + (this.final - 1) * (Math.min(step - this.start, span) / span));
  }

  toJSON(): ScheduleJSON {
    return { kind: 'linear', total: this.total, start: this.start, final: this.final };
  }
}

/**
 * "Decay linearly to `final` over the second half of training" as a `LinearLR`: the base
 * rate while (step + 1) ≤ total / 2, then a straight line to base · final at the last step.
 *
 * ```ts
 * scheduleFromJSON(secondHalfDecay(100, 0.05)).lrAt(99, 1); // 0.05
 * ```
 */
export function secondHalfDecay(total: number, final: number): ScheduleJSON {
  return { kind: 'linear', total, start: Math.max(Math.ceil(total / 2) - 1, 0), final };
}

/** `schedule` preceded by a linear warm-up of `warmupSteps` steps (see `LinearWarmup`). */
export function withWarmup(schedule: Schedule, warmupSteps: number): Schedule {
  return new LinearWarmup({ warmupSteps, then: schedule });
}

/**
 * Rebuild a schedule from `toJSON()` output (e.g. read from a checkpoint or a config file).
 * Unknown kinds and bad fields are refused by name.
 */
export function scheduleFromJSON(json: unknown): Schedule {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new KiokuError(`scheduleFromJSON: expected an object with a kind, got ${describe(json)}`);
  }
  const { kind, ...rest } = json as Record<string, unknown>;
  switch (kind) {
    case 'constant':
      readOptionBag('scheduleFromJSON(constant)', rest, []);
      return new ConstantLR();
    case 'step':
      return new StepLR(rest as { stepSize: number; gamma?: number });
    case 'exponential':
      return new ExponentialLR(rest as { gamma: number });
    case 'cosine':
      return new CosineAnnealingLR(rest as { tMax: number; etaMin?: number });
    case 'linear':
      return new LinearLR(rest as { total: number; start?: number; final: number });
    case 'warmup': {
      const { then, ...w } = rest;
      return new LinearWarmup({
        ...(w as { warmupSteps: number }),
        then: then === undefined ? undefined : scheduleFromJSON(then),
      });
    }
    default:
      throw new KiokuError(
        `scheduleFromJSON: expected kind "constant", "step", "exponential", "cosine", "linear" or "warmup", got ${describe(kind)}`,
      );
  }
}

/**
 * Set `optimizer.lr` to the schedule's rate for its next step and return it. Call it right
 * before each `optimizer.step()`.
 */
export function applySchedule(
  optimizer: { lr: number; readonly stepCount: number },
  schedule: Schedule,
  baseLr: number,
): number {
  const lr = schedule.lrAt(optimizer.stepCount, baseLr);
  optimizer.lr = lr;
  return lr;
}
