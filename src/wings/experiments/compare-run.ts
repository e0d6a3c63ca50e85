/**
 * The runs of `kioku experiment compare` (browser-safe: the lab's comparison bench runs
 * them in a page, interleaved, with the same numbers): the lecture's small exercise — "code that makes it easy to
 * compare" the LSTM with the simple RNN (and the GRU) on artificial data. Every cell is
 * trained on every sequence length with the same parameter budget (hidden sizes chosen by
 * `hiddenForBudget`), the same number of steps, the same optimizer and the same seeds and
 * batches; the report has the learning curves, the final MSE or accuracy, the time taken,
 * and the table the exercise asks for.
 *
 * ```ts
 * const run = runCompareExperiment({ task: 'adding', lengths: [50, 100], cells: ['rnn', 'lstm'], steps: 300 });
 * run.table; // one row per (length, cell)
 * ```
 */
import { makeTask, type TaskName } from './synthetic.js';
import type { InitScheme } from '../../nn/init.js';
import { getBackend } from '../../tensor/current-backend.js';
import { Rng } from '../../util/rng.js';
import { hiddenForBudget, modelParameterCount, SequenceModel } from './model.js';
import { type EvalRecord, type TrainRunResult, type TrainStepEvent, trainSteps } from './train.js';
import type { SyntheticTask, TaskBatch } from './synthetic.js';

export interface CompareOptions {
  task?: TaskName;
  lengths?: number[];
  cells?: string[];
  /** Parameter budget per model (recurrent layer + read-out). Default: an LSTM with H = 32. */
  budget?: number;
  steps?: number;
  batch?: number;
  /** Adam learning rate. */
  lr?: number;
  /** Global-norm clipping threshold for every cell (0 = off). */
  clip?: number;
  /**
   * LSTM forget-gate bias (Gers et al. 2000). Default 3: f_t ≈ 0.95 lets the carousel carry
   * the error across ~50 steps (see `kioku experiment gradients`); Jozefowicz et al. 2015
   * recommend at least 1, and with 1 the LSTM needs about twice the steps here.
   */
  forgetBias?: number;
  seeds?: number;
  seed?: number;
  /** Weight initialisation of every cell (biases keep PyTorch's U(±1/√H)). Default 'pytorch'. */
  init?: InitScheme;
  evalEvery?: number;
  /** Sequences in the fixed evaluation batch. */
  evalSize?: number;
}

export const DEFAULT_COMPARE: Required<Omit<CompareOptions, 'budget'>> & { budget?: number } = {
  task: 'adding',
  lengths: [50, 100, 200],
  cells: ['rnn', 'lstm', 'gru'],
  steps: 600,
  batch: 32,
  lr: 0.02,
  clip: 1,
  forgetBias: 3,
  seeds: 1,
  seed: 0,
  init: 'pytorch',
  evalEvery: 50,
  evalSize: 256,
};

export interface CompareRecord {
  length: number;
  cell: string;
  seed: number;
  hidden: number;
  params: number;
  evals: EvalRecord[];
  final: EvalRecord;
  diverged: boolean;
  /** First evaluated step at which the task counted as solved, or null. */
  solvedAt: number | null;
  ms: number;
}

export interface CompareRow {
  length: number;
  cell: string;
  hidden: number;
  params: number;
  /** Mean and standard deviation over seeds of the final evaluation loss. */
  lossMean: number;
  lossStd: number;
  accuracyMean: number | null;
  solved: number;
  seeds: number;
  medianSolvedAt: number | null;
  /** Mean wall-clock seconds per run (reported, never asserted). */
  seconds: number;
}

export interface CompareRun {
  options: Required<CompareOptions>;
  kind: 'regression' | 'classification';
  baseline: { loss: number; accuracy?: number };
  /** When a run counts as solved (regression: loss below this; classification: accuracy above). */
  solvedThreshold: number;
  records: CompareRecord[];
  table: CompareRow[];
  /** Kernel backend the runs used (the times depend on it). */
  backend: string;
}

/** Regression: solved below 30% of the baseline MSE (0.05 for the adding problem); classification: ≥ 90% accuracy. */
export function isSolved(kind: 'regression' | 'classification', baseline: number, e: EvalRecord): boolean {
  if (kind === 'regression') return Number.isFinite(e.loss) && e.loss < 0.3 * baseline;
  return (e.accuracy ?? 0) >= 0.9;
}

/** Arithmetic mean (0 for none). */
export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const std = (xs: number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** One (length, cell, seed) run of a comparison, ready to train step by step. */
export interface PlannedRun {
  length: number;
  cell: string;
  seed: number;
  hidden: number;
  task: SyntheticTask;
  model: SequenceModel;
  evalBatch: TaskBatch;
  /** Advance with `next()`; the generator's return value is the run's result. */
  steps: Generator<TrainStepEvent, TrainRunResult, void>;
}

export interface ComparePlan {
  options: Required<CompareOptions>;
  kind: 'regression' | 'classification';
  baseline: { loss: number; accuracy?: number };
  solvedThreshold: number;
  runs: PlannedRun[];
}

/**
 * Every (length, cell, seed) run of a comparison, built but not yet trained: the same
 * parameter budget, seeds, batches and evaluation batch that `runCompareExperiment` uses.
 */
export function planCompare(opts: CompareOptions = {}): ComparePlan {
  const base = { ...DEFAULT_COMPARE, ...opts };
  const probe = makeTask(base.task, { length: base.lengths[0], seed: base.seed });
  const budget = base.budget ?? modelParameterCount('lstm', probe.inputSize, 32, probe.outputSize);
  const o: Required<CompareOptions> = { ...base, budget };
  const runs: PlannedRun[] = [];
  let kind: CompareRun['kind'] = probe.kind;
  let baseline = probe.baseline;
  for (const length of o.lengths) {
    const task = makeTask(o.task, { length, seed: o.seed });
    kind = task.kind;
    baseline = task.baseline;
    const evalBatch = task.sample(o.evalSize, new Rng(o.seed + 424242 + length));
    for (const cell of o.cells) {
      const hidden = hiddenForBudget(cell, task.inputSize, task.outputSize, budget);
      for (let k = 0; k < o.seeds; k++) {
        const seed = o.seed + k;
        const model = new SequenceModel({
          cell,
          inputSize: task.inputSize,
          hidden,
          outputSize: task.outputSize,
          seed,
          init: o.init,
          forgetBias: o.forgetBias, // for the cells that take it (LSTM)
        });
        const steps = trainSteps({
          task,
          model,
          optimizer: 'adam',
          lr: o.lr,
          steps: o.steps,
          batch: o.batch,
          seed: seed + 7 * length, // same batches for every cell
          clip: o.clip > 0 ? { mode: 'norm', threshold: o.clip } : undefined,
          evalBatch,
          evalEvery: o.evalEvery,
          trackUpdate: false,
        });
        runs.push({ length, cell, seed, hidden, task, model, evalBatch, steps });
      }
    }
  }
  const solvedThreshold = kind === 'regression' ? 0.3 * baseline.loss : 0.9;
  return { options: o, kind, baseline, solvedThreshold, runs };
}

/** The record of a finished planned run. */
export function compareRecord(run: PlannedRun, r: TrainRunResult): CompareRecord {
  const solvedEval = r.evals.find((e) => isSolved(run.task.kind, run.task.baseline.loss, e));
  return {
    length: run.length,
    cell: run.cell,
    seed: run.seed,
    hidden: run.hidden,
    params: run.model.numParameters(),
    evals: r.evals.filter((e) => e.step > 0),
    final: r.final,
    diverged: r.diverged,
    solvedAt: solvedEval ? solvedEval.step : null,
    ms: r.ms,
  };
}

/** Train every (length, cell, seed); `onProgress(done, total, label)` counts training steps. */
export function runCompareExperiment(
  opts: CompareOptions = {},
  onProgress?: (done: number, total: number, label: string) => void,
): CompareRun {
  const plan = planCompare(opts);
  const o = plan.options;
  const total = plan.runs.length * o.steps;
  let done = 0;
  const records: CompareRecord[] = [];
  for (const run of plan.runs) {
    const label = `${run.cell} T=${run.length} seed ${run.seed}`;
    const start = done;
    let r = run.steps.next();
    while (!r.done) {
      onProgress?.(start + r.value.record.step, total, label);
      r = run.steps.next();
    }
    done = start + o.steps;
    onProgress?.(done, total, label);
    records.push(compareRecord(run, r.value));
  }
  return summarizeCompare(plan, records);
}

/** The table of a comparison: one row per (length, cell), mean ± sd over seeds. */
export function summarizeCompare(plan: ComparePlan, records: CompareRecord[]): CompareRun {
  const o = plan.options;
  const kind = plan.kind;
  const table: CompareRow[] = [];
  for (const length of o.lengths) {
    for (const cell of o.cells) {
      const rs = records.filter((r) => r.length === length && r.cell === cell);
      const losses = rs.map((r) => r.final.loss);
      const solvedAts = rs
        .map((r) => r.solvedAt)
        .filter((s): s is number => s !== null)
        .sort((a, b) => a - b);
      table.push({
        length,
        cell,
        hidden: rs[0].hidden,
        params: rs[0].params,
        lossMean: mean(losses),
        lossStd: std(losses),
        accuracyMean: kind === 'classification' ? mean(rs.map((r) => r.final.accuracy ?? NaN)) : null,
        solved: solvedAts.length,
        seeds: rs.length,
        medianSolvedAt: solvedAts.length ? solvedAts[Math.floor((solvedAts.length - 1) / 2)] : null,
        seconds: mean(rs.map((r) => r.ms)) / 1000,
      });
    }
  }
  return {
    options: o,
    kind,
    baseline: plan.baseline,
    solvedThreshold: plan.solvedThreshold,
    records,
    table,
    backend: getBackend().name,
  };
}
