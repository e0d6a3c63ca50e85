/**
 * `kioku experiment gradients | clipping | compare | truncation`: the experiments of the
 * lecture's first part as commands. Each runs a real experiment with defaults that finish
 * in a few minutes on two cores (flags go bigger), shows a progress bar on a terminal, and
 * writes a self-contained HTML report, its figures (SVG and PNG) and results.json to
 * `--out` (default `runs/experiments/<name>`).
 *
 * ```sh
 * kioku experiment gradients
 * kioku experiment compare --task adding --length 50,100,200 --cells rnn,lstm,gru
 * ```
 */
import type { Command } from 'commander';
import { cellNames } from '../nn/cells.js';
import { INIT_SCHEMES } from '../nn/init.js';
import { clippingReport, DEFAULT_CLIPPING, runClippingExperiment } from '../wings/experiments/clipping.js';
import { compareReport, DEFAULT_COMPARE, runCompareExperiment } from '../wings/experiments/compare.js';
import { gradientSuite, gradientsReport, runGradientsExperiment } from '../wings/experiments/gradients.js';
import { fmt, type ReportDocument, writeReport } from '../wings/experiments/report.js';
import { TASK_NAMES } from '../wings/experiments/synthetic.js';
import {
  DEFAULT_TRUNCATION,
  runTruncationExperiment,
  truncationReport,
} from '../wings/experiments/truncation.js';
import { createProgress } from './progress.js';
import {
  attachArea,
  choice,
  defineCommand,
  flag,
  flagName,
  float,
  int,
  list,
  type OptionSpec,
  str,
} from './schema.js';

const ACTIVATIONS = ['tanh', 'relu'] as const;

/** Forget-bias list entries: numbers, or `default` for PyTorch's random bias (undefined). */
const forgetBiasList: OptionSpec<(number | undefined)[] | undefined> = (() => {
  const bias = float('forget-gate bias', { min: -100, max: 100 });
  const entry = (v: unknown): number | undefined =>
    v === 'default' || v === null ? undefined : typeof v === 'string' ? bias.parse(v) : bias.fromJson(v);
  return {
    help: 'custom suite: LSTM forget-gate biases (numbers, or "default")',
    arg: 'list',
    defaultValue: undefined,
    parse: (raw) => raw.split(',').map((p) => entry(p.trim())),
    fromJson: (v) => {
      if (typeof v === 'string') return v.split(',').map((p) => entry(p.trim()));
      if (!Array.isArray(v))
        throw new Error(`expected an array or a comma-separated string, got ${JSON.stringify(v)}`);
      return v.map(entry);
    },
  };
})();

function progressFor(
  quiet: boolean,
  label: string,
  unit: string,
): (done: number, total: number, what: string) => void {
  let bar: ReturnType<typeof createProgress> | null = null;
  // Progress bars only on an interactive terminal: pipes, CI logs and tests stay quiet.
  const enabled = !quiet && Boolean(process.stderr.isTTY);
  return (done, total, what) => {
    if (!enabled) return;
    bar ??= createProgress({
      total,
      label,
      unit,
      format: `${label} |{bar}| {percentage}% | {value}/{total} ${unit} | {run} | ETA {eta_formatted}`,
    });
    bar.update(done, { run: what });
    if (done >= total) bar.stop();
  };
}

/** Write the report; what the command returns (and prints). */
async function finish(out: string, doc: ReportDocument, summary: string[]) {
  const w = await writeReport(out, doc);
  return { summary, report: w.html, results: w.json, figures: w.figures.map((f) => f.png) };
}

function printFinish(r: Awaited<ReturnType<typeof finish>>): void {
  for (const line of r.summary) console.log(line);
  console.log(`report:  ${r.report}`);
  console.log(`numbers: ${r.results}`);
  console.log(`figures: ${r.figures.join(', ')}`);
}

/** The command line that reproduces a run, every option spelled out (from the command's schema). */
function commandLine(
  name: string,
  options: Record<string, OptionSpec<unknown>>,
  values: Record<string, unknown>,
): string {
  const parts = ['kioku experiment', name];
  for (const [key, spec] of Object.entries(options)) {
    const value = values[key];
    if (key === 'quiet' || value === undefined || value === false) continue;
    const f = `--${flagName(key, spec)}`;
    if (value === true) parts.push(f);
    else
      parts.push(
        `${f} ${Array.isArray(value) ? value.map((v) => (v === undefined ? 'default' : v)).join(',') : String(value)}`,
      );
  }
  return parts.join(' ');
}

const common = (name: string) => ({
  out: str('directory for report.html, results.json and figures/', {
    arg: 'dir',
    default: `runs/experiments/${name}`,
  }),
  quiet: flag('no progress bar'),
});

const gradientsOptions = {
  cells: list(
    'custom suite: cells; without any suite flag the default suite runs',
    choice('cell', cellNames),
  ),
  init: list('custom suite: initialisations', choice('init', INIT_SCHEMES)),
  radius: list(
    'custom suite: gain of orthogonal/xavier init — for orthogonal, the spectral radius of W_hh',
    float('gain', { min: 0, minExclusive: true, max: 100 }),
  ),
  activation: list('custom suite: RNN activations (tanh,relu)', choice('activation', ACTIVATIONS)),
  forgetBias: forgetBiasList,
  hidden: int('hidden units', { min: 1, max: 4096, default: 128 }),
  length: int('sequence length T', { min: 2, max: 100000, default: 50 }),
  batch: int('sequences (norms are over the whole batch)', { min: 1, max: 4096, default: 8 }),
  inputSize: int('input features (random N(0, 1))', { min: 1, max: 4096, default: 1 }),
  jacobianSteps: int('steps at which the step Jacobian spectrum is computed (0 = none)', {
    min: 0,
    max: 100000,
    default: 8,
  }),
  seed: int('seed of weights, inputs and loss direction', { min: 0, max: 2 ** 31, default: 0 }),
  ...common('gradients'),
};

const gradients = defineCommand({
  name: 'gradients',
  description:
    '‖∂L_T/∂h_t‖ over time, spectral radii of W_hh and the step Jacobians, LSTM forget gates (vanishing and exploding cases)',
  options: gradientsOptions,
  async run(o) {
    const custom = [o.cells, o.init, o.radius, o.activation, o.forgetBias].some((v) => v !== undefined);
    const configs = custom
      ? gradientSuite({
          cells: o.cells,
          inits: o.init,
          gains: o.radius,
          activations: o.activation,
          forgetBiases: o.forgetBias,
        })
      : undefined;
    const { hidden, length, batch, inputSize, jacobianSteps, seed } = o;
    const run = runGradientsExperiment(
      { hidden, length, batch, inputSize, jacobianSteps, seed, configs },
      progressFor(o.quiet || o.json, 'gradients', 'steps'),
    );
    return finish(o.out, gradientsReport(run, commandLine('gradients', gradientsOptions, o)), [
      `‖∂L/∂h_T‖ / ‖∂L/∂h_1‖ over T = ${length} (H = ${hidden}):`,
      ...run.runs.map((r) => `  ${r.label.padEnd(34)} ${fmt(r.shrink).padStart(10)}  ${r.verdict}`),
    ]);
  },
  print: printFinish,
});

const D = DEFAULT_CLIPPING;
const clippingOptions = {
  task: choice('task', TASK_NAMES, { default: D.task }),
  length: int('sequence length (lag for copy, lookback for series)', {
    min: 1,
    max: 100000,
    default: D.length,
  }),
  cell: choice('recurrent cell', cellNames, { default: D.cell }),
  activation: choice('RNN activation', ACTIVATIONS, { default: D.nonlinearity }),
  init: choice('initialisation', INIT_SCHEMES, { arg: 'scheme', default: D.init }),
  radius: float('gain of orthogonal/xavier init (orthogonal: spectral radius of W_hh)', {
    min: 0,
    minExclusive: true,
    max: 100,
    default: D.gain,
  }),
  hidden: int('hidden units', { min: 1, max: 4096, default: D.hidden }),
  batch: int('batch size', { min: 1, max: 4096, default: D.batch }),
  steps: int('SGD steps per run', { min: 1, max: 10000000, default: D.steps }),
  lr: float('SGD learning rate', { min: 0, minExclusive: true, max: 100, default: D.lr }),
  maxNorm: float('global-norm clipping threshold', {
    min: 0,
    minExclusive: true,
    max: 1e9,
    default: D.maxNorm,
  }),
  clipValue: float('element-wise clipping bound c', {
    min: 0,
    minExclusive: true,
    max: 1e9,
    default: D.clipValue,
  }),
  seeds: int('seeds per variant', { min: 1, max: 1000, default: D.seeds }),
  seed: int('first seed', { min: 0, max: 2 ** 31, default: D.seed }),
  ...common('clipping'),
};

const clipping = defineCommand({
  name: 'clipping',
  description:
    'the same model trained with no clipping, element-wise clipping and global-norm clipping, over several seeds',
  options: clippingOptions,
  async run(o) {
    const { out: _o, quiet: _q, json: _j, config: _c, activation, radius, ...rest } = o;
    const run = runClippingExperiment(
      { ...rest, nonlinearity: activation, gain: radius },
      progressFor(o.quiet || o.json, 'clipping', 'steps'),
    );
    return finish(o.out, clippingReport(run, commandLine('clipping', clippingOptions, o)), [
      'variant        diverged  median final loss  max ‖g‖ before  max ‖g‖ after',
      ...run.summary.map(
        (s) =>
          `  ${s.mode.padEnd(12)} ${`${s.diverged}/${s.runs}`.padStart(8)}  ${fmt(s.medianFinalLoss).padStart(17)}  ${fmt(s.maxGradNorm).padStart(14)}  ${fmt(s.maxClippedNorm).padStart(13)}`,
      ),
    ]);
  },
  print: printFinish,
});

const C = DEFAULT_COMPARE;
const compareOptions = {
  task: choice('task', TASK_NAMES, { default: C.task }),
  length: list(
    'sequence lengths (lag for copy, lookback for series)',
    int('length', { min: 1, max: 100000 }),
    {
      default: C.lengths,
    },
  ),
  cells: list('cells to compare', choice('cell', cellNames), { default: C.cells }),
  budget: int('parameters per model (default: those of an LSTM with H = 32)', { min: 1, max: 1e9 }),
  steps: int('Adam steps per run', { min: 1, max: 10000000, default: C.steps }),
  batch: int('batch size', { min: 1, max: 4096, default: C.batch }),
  lr: float('Adam learning rate', { min: 0, minExclusive: true, max: 100, default: C.lr }),
  clip: float('global-norm clipping threshold (0 = off)', { min: 0, max: 1e9, default: C.clip }),
  forgetBias: float('LSTM forget-gate bias', { min: -100, max: 100, default: C.forgetBias }),
  seeds: int('seeds per (cell, length)', { min: 1, max: 1000, default: C.seeds }),
  seed: int('first seed', { min: 0, max: 2 ** 31, default: C.seed }),
  evalEvery: int('steps between evaluations', { min: 1, max: 10000000, default: C.evalEvery }),
  evalSize: int('sequences in the evaluation batch', { min: 1, max: 100000, default: C.evalSize }),
  ...common('compare'),
};

const compare = defineCommand({
  name: 'compare',
  description:
    'train RNN, LSTM and GRU on a synthetic task at several lengths with the same parameter budget, steps and seeds',
  options: compareOptions,
  async run(o) {
    const { out: _o, quiet: _q, json: _j, config: _c, length, ...rest } = o;
    const run = runCompareExperiment(
      { ...rest, lengths: length },
      progressFor(o.quiet || o.json, 'compare', 'steps'),
    );
    const r = run.options;
    const reg = run.kind === 'regression';
    const command = commandLine('compare', compareOptions, { ...r, length: r.lengths, out: o.out });
    return finish(o.out, compareReport(run, command), [
      `   T  cell  hidden  params  ${reg ? 'final MSE' : 'accuracy '}  solved  seconds`,
      ...run.table.map(
        (t) =>
          `${String(t.length).padStart(4)}  ${t.cell.padEnd(4)}  ${String(t.hidden).padStart(6)}  ${String(t.params).padStart(6)}  ${fmt(reg ? t.lossMean : (t.accuracyMean ?? NaN)).padStart(9)}  ${`${t.solved}/${t.seeds}`.padStart(6)}  ${fmt(t.seconds).padStart(7)}`,
      ),
    ]);
  },
  print: printFinish,
});

const TR = DEFAULT_TRUNCATION;
const truncationOptions = {
  lag: int('delay of the recall task (the dependency span)', { min: 1, max: 100000, default: TR.lag }),
  symbols: int('alphabet size', { min: 2, max: 1000, default: TR.symbols }),
  k: list('truncation lengths', int('k', { min: 1, max: 100000 }), { default: TR.ks }),
  cell: choice('recurrent cell', cellNames, { default: TR.cell }),
  hidden: int('hidden units', { min: 1, max: 4096, default: TR.hidden }),
  batch: int('parallel streams', { min: 1, max: 4096, default: TR.batch }),
  updates: int('parameter updates (chunks) per k', { min: 1, max: 10000000, default: TR.updates }),
  lr: float('Adam learning rate', { min: 0, minExclusive: true, max: 100, default: TR.lr }),
  clip: float('global-norm clipping threshold (0 = off)', { min: 0, max: 1e9, default: TR.clip }),
  evalLength: int('steps of the evaluation stream', { min: 2, max: 10000000, default: TR.evalLength }),
  seed: int('seed', { min: 0, max: 2 ** 31, default: TR.seed }),
  ...common('truncation'),
};

const truncation = defineCommand({
  name: 'truncation',
  description: 'truncated-BPTT length k against the dependency span of a delayed-recall task',
  options: truncationOptions,
  async run(o) {
    const { out: _o, quiet: _q, json: _j, config: _c, k, ...rest } = o;
    const run = runTruncationExperiment(
      { ...rest, ks: k },
      progressFor(o.quiet || o.json, 'truncation', 'updates'),
    );
    const r = run.options;
    const command = commandLine('truncation', truncationOptions, { ...r, k: r.ks, out: o.out });
    return finish(o.out, truncationReport(run, command), [
      `lag ${r.lag}, chance ${fmt(run.chance)}:`,
      '   k  reachable  accuracy',
      ...run.rows.map(
        (t) =>
          `${String(t.k).padStart(4)}  ${`${Math.round(100 * t.reach)}%`.padStart(9)}  ${fmt(t.accuracy).padStart(8)}`,
      ),
    ]);
  },
  print: printFinish,
});

export function registerExperimentCommands(program: Command): void {
  attachArea(
    program,
    'experiment',
    'experiments that teach: vanishing/exploding gradients, clipping, RNN vs LSTM vs GRU, truncated BPTT',
    [gradients, clipping, compare, truncation],
  );
}
