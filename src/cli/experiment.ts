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
import { type Command, InvalidArgumentError } from 'commander';
import { TASK_NAMES, type TaskName } from '../wings/experiments/synthetic.js';
import {
  type ClippingOptions,
  clippingReport,
  DEFAULT_CLIPPING,
  runClippingExperiment,
} from '../wings/experiments/clipping.js';
import { compareReport, DEFAULT_COMPARE, runCompareExperiment } from '../wings/experiments/compare.js';
import { gradientSuite, gradientsReport, runGradientsExperiment } from '../wings/experiments/gradients.js';
import { cellNames } from '../nn/cells.js';
import { fmt, type ReportDocument, writeReport } from '../wings/experiments/report.js';
import { DEFAULT_TRUNCATION, runTruncationExperiment, truncationReport } from '../wings/experiments/truncation.js';
import type { InitScheme } from '../nn/init.js';
import { choiceArg, floatArg, intArg } from './options.js';
import { createProgress } from './progress.js';

const INITS: readonly InitScheme[] = [
  'pytorch',
  'xavier-uniform',
  'xavier-normal',
  'he-uniform',
  'he-normal',
  'orthogonal',
];

/** A comma-separated list parsed element by element (`50,100,200`). */
function listArg<T>(parse: (v: string) => T): (v: string) => T[] {
  return (v: string) => {
    const parts = v.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((p) => p === ''))
      throw new InvalidArgumentError(`expected a comma-separated list, got "${v}"`);
    return parts.map(parse);
  };
}

/** Forget-bias list entries: a number, or `default` for PyTorch's random bias. */
function forgetBiasArg(v: string): number | undefined {
  return v === 'default' ? undefined : floatArg(-100, 100)(v);
}

type Opts = Record<string, unknown>;

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

async function finish(out: string, doc: ReportDocument, summary: string[]): Promise<void> {
  const w = await writeReport(out, doc);
  for (const line of summary) console.log(line);
  console.log(`report:  ${w.html}`);
  console.log(`numbers: ${w.json}`);
  console.log(`figures: ${w.figures.map((f) => f.png).join(', ')}`);
}

/** The command line that reproduces a run, every option spelled out. */
function commandLine(name: string, flags: [string, unknown][]): string {
  const parts = ['kioku experiment', name];
  for (const [flag, value] of flags) {
    if (value === undefined || value === false) continue;
    if (value === true) parts.push(`--${flag}`);
    else
      parts.push(
        `--${flag} ${Array.isArray(value) ? value.map((v) => (v === undefined ? 'default' : v)).join(',') : String(value)}`,
      );
  }
  return parts.join(' ');
}

function common(cmd: Command, name: string): Command {
  return cmd
    .option('--out <dir>', 'directory for report.html, results.json and figures/', `runs/experiments/${name}`)
    .option('--quiet', 'no progress bar');
}

export function registerExperimentCommands(program: Command): void {
  const exp = program
    .command('experiment')
    .description(
      'experiments that teach: vanishing/exploding gradients, clipping, RNN vs LSTM vs GRU, truncated BPTT',
    );

  common(
    exp
      .command('gradients')
      .description(
        '‖∂L_T/∂h_t‖ over time, spectral radii of W_hh and the step Jacobians, LSTM forget gates (vanishing and exploding cases)',
      )
      .option(
        '--cells <list>',
        'custom suite: cells (rnn,lstm,gru); without any suite flag the default suite runs',
        listArg(choiceArg(cellNames())),
      )
      .option(
        '--init <list>',
        `custom suite: initialisations (${INITS.join(', ')})`,
        listArg(choiceArg(INITS)),
      )
      .option(
        '--radius <list>',
        'custom suite: gain of orthogonal/xavier init — for orthogonal, the spectral radius of W_hh',
        listArg(floatArg(0, 100, true)),
      )
      .option(
        '--activation <list>',
        'custom suite: RNN activations (tanh,relu)',
        listArg(choiceArg(['tanh', 'relu'] as const)),
      )
      .option(
        '--forget-bias <list>',
        'custom suite: LSTM forget-gate biases (numbers, or "default")',
        listArg(forgetBiasArg),
      )
      .option('--hidden <n>', 'hidden units', intArg(1, 4096), 128)
      .option('--length <n>', 'sequence length T', intArg(2, 100000), 50)
      .option('--batch <n>', 'sequences (norms are over the whole batch)', intArg(1, 4096), 8)
      .option('--input-size <n>', 'input features (random N(0, 1))', intArg(1, 4096), 1)
      .option(
        '--jacobian-steps <n>',
        'steps at which the step Jacobian spectrum is computed (0 = none)',
        intArg(0, 100000),
        8,
      )
      .option('--seed <n>', 'seed of weights, inputs and loss direction', intArg(0, 2 ** 31), 0),
    'gradients',
  ).action(async (o: Opts) => {
    const custom = ['cells', 'init', 'radius', 'activation', 'forgetBias'].some((k) => o[k] !== undefined);
    const configs = custom
      ? gradientSuite({
          cells: o.cells as string[] | undefined,
          inits: o.init as InitScheme[] | undefined,
          gains: o.radius as number[] | undefined,
          activations: o.activation as ('tanh' | 'relu')[] | undefined,
          forgetBiases: o.forgetBias as (number | undefined)[] | undefined,
        })
      : undefined;
    const opts = {
      hidden: o.hidden as number,
      length: o.length as number,
      batch: o.batch as number,
      inputSize: o.inputSize as number,
      jacobianSteps: o.jacobianSteps as number,
      seed: o.seed as number,
    };
    const run = runGradientsExperiment(
      { ...opts, configs },
      progressFor(Boolean(o.quiet), 'gradients', 'steps'),
    );
    const command = commandLine('gradients', [
      ['cells', o.cells],
      ['init', o.init],
      ['radius', o.radius],
      ['activation', o.activation],
      ['forget-bias', o.forgetBias],
      ['hidden', opts.hidden],
      ['length', opts.length],
      ['batch', opts.batch],
      ['input-size', opts.inputSize],
      ['jacobian-steps', opts.jacobianSteps],
      ['seed', opts.seed],
      ['out', o.out],
    ]);
    await finish(o.out as string, gradientsReport(run, command), [
      `‖∂L/∂h_T‖ / ‖∂L/∂h_1‖ over T = ${opts.length} (H = ${opts.hidden}):`,
      ...run.runs.map((r) => `  ${r.label.padEnd(34)} ${fmt(r.shrink).padStart(10)}  ${r.verdict}`),
    ]);
  });

  const D = DEFAULT_CLIPPING;
  common(
    exp
      .command('clipping')
      .description(
        'the same model trained with no clipping, element-wise clipping and global-norm clipping, over several seeds',
      )
      .option('--task <name>', `task (${TASK_NAMES.join(', ')})`, choiceArg(TASK_NAMES), D.task)
      .option(
        '--length <n>',
        'sequence length (lag for copy, lookback for series)',
        intArg(1, 100000),
        D.length,
      )
      .option('--cell <cell>', 'rnn, lstm or gru', choiceArg(cellNames()), D.cell)
      .option(
        '--activation <name>',
        'RNN activation: tanh or relu',
        choiceArg(['tanh', 'relu'] as const),
        D.nonlinearity,
      )
      .option('--init <scheme>', `initialisation (${INITS.join(', ')})`, choiceArg(INITS), D.init)
      .option(
        '--radius <x>',
        'gain of orthogonal/xavier init (orthogonal: spectral radius of W_hh)',
        floatArg(0, 100, true),
        D.gain,
      )
      .option('--hidden <n>', 'hidden units', intArg(1, 4096), D.hidden)
      .option('--batch <n>', 'batch size', intArg(1, 4096), D.batch)
      .option('--steps <n>', 'SGD steps per run', intArg(1, 10000000), D.steps)
      .option('--lr <x>', 'SGD learning rate', floatArg(0, 100, true), D.lr)
      .option('--max-norm <x>', 'global-norm clipping threshold', floatArg(0, 1e9, true), D.maxNorm)
      .option('--clip-value <x>', 'element-wise clipping bound c', floatArg(0, 1e9, true), D.clipValue)
      .option('--seeds <n>', 'seeds per variant', intArg(1, 1000), D.seeds)
      .option('--seed <n>', 'first seed', intArg(0, 2 ** 31), D.seed),
    'clipping',
  ).action(async (o: Opts) => {
    const opts: ClippingOptions = {
      task: o.task as TaskName,
      length: o.length as number,
      cell: o.cell as string,
      nonlinearity: o.activation as 'tanh' | 'relu',
      init: o.init as InitScheme,
      gain: o.radius as number,
      hidden: o.hidden as number,
      batch: o.batch as number,
      steps: o.steps as number,
      lr: o.lr as number,
      maxNorm: o.maxNorm as number,
      clipValue: o.clipValue as number,
      seeds: o.seeds as number,
      seed: o.seed as number,
    };
    const run = runClippingExperiment(opts, progressFor(Boolean(o.quiet), 'clipping', 'steps'));
    const command = commandLine('clipping', [
      ['task', opts.task],
      ['length', opts.length],
      ['cell', opts.cell],
      ['activation', opts.nonlinearity],
      ['init', opts.init],
      ['radius', opts.gain],
      ['hidden', opts.hidden],
      ['batch', opts.batch],
      ['steps', opts.steps],
      ['lr', opts.lr],
      ['max-norm', opts.maxNorm],
      ['clip-value', opts.clipValue],
      ['seeds', opts.seeds],
      ['seed', opts.seed],
      ['out', o.out],
    ]);
    await finish(o.out as string, clippingReport(run, command), [
      'variant        diverged  median final loss  max ‖g‖ before  max ‖g‖ after',
      ...run.summary.map(
        (s) =>
          `  ${s.mode.padEnd(12)} ${`${s.diverged}/${s.runs}`.padStart(8)}  ${fmt(s.medianFinalLoss).padStart(17)}  ${fmt(s.maxGradNorm).padStart(14)}  ${fmt(s.maxClippedNorm).padStart(13)}`,
      ),
    ]);
  });

  const C = DEFAULT_COMPARE;
  common(
    exp
      .command('compare')
      .description(
        'train RNN, LSTM and GRU on a synthetic task at several lengths with the same parameter budget, steps and seeds',
      )
      .option('--task <name>', `task (${TASK_NAMES.join(', ')})`, choiceArg(TASK_NAMES), C.task)
      .option(
        '--length <list>',
        'sequence lengths (lag for copy, lookback for series)',
        listArg(intArg(1, 100000)),
        C.lengths,
      )
      .option('--cells <list>', 'cells to compare', listArg(choiceArg(cellNames())), C.cells)
      .option('--budget <n>', 'parameters per model (default: those of an LSTM with H = 32)', intArg(1, 1e9))
      .option('--steps <n>', 'Adam steps per run', intArg(1, 10000000), C.steps)
      .option('--batch <n>', 'batch size', intArg(1, 4096), C.batch)
      .option('--lr <x>', 'Adam learning rate', floatArg(0, 100, true), C.lr)
      .option('--clip <x>', 'global-norm clipping threshold (0 = off)', floatArg(0, 1e9), C.clip)
      .option('--forget-bias <x>', 'LSTM forget-gate bias', floatArg(-100, 100), C.forgetBias)
      .option('--seeds <n>', 'seeds per (cell, length)', intArg(1, 1000), C.seeds)
      .option('--seed <n>', 'first seed', intArg(0, 2 ** 31), C.seed)
      .option('--eval-every <n>', 'steps between evaluations', intArg(1, 10000000), C.evalEvery)
      .option('--eval-size <n>', 'sequences in the evaluation batch', intArg(1, 100000), C.evalSize),
    'compare',
  ).action(async (o: Opts) => {
    const run = runCompareExperiment(
      {
        task: o.task as TaskName,
        lengths: o.length as number[],
        cells: o.cells as string[],
        budget: o.budget as number | undefined,
        steps: o.steps as number,
        batch: o.batch as number,
        lr: o.lr as number,
        clip: o.clip as number,
        forgetBias: o.forgetBias as number,
        seeds: o.seeds as number,
        seed: o.seed as number,
        evalEvery: o.evalEvery as number,
        evalSize: o.evalSize as number,
      },
      progressFor(Boolean(o.quiet), 'compare', 'steps'),
    );
    const r = run.options;
    const command = commandLine('compare', [
      ['task', r.task],
      ['length', r.lengths],
      ['cells', r.cells],
      ['budget', r.budget],
      ['steps', r.steps],
      ['batch', r.batch],
      ['lr', r.lr],
      ['clip', r.clip],
      ['forget-bias', r.forgetBias],
      ['seeds', r.seeds],
      ['seed', r.seed],
      ['eval-every', r.evalEvery],
      ['eval-size', r.evalSize],
      ['out', o.out],
    ]);
    const reg = run.kind === 'regression';
    await finish(o.out as string, compareReport(run, command), [
      `   T  cell  hidden  params  ${reg ? 'final MSE' : 'accuracy '}  solved  seconds`,
      ...run.table.map(
        (t) =>
          `${String(t.length).padStart(4)}  ${t.cell.padEnd(4)}  ${String(t.hidden).padStart(6)}  ${String(t.params).padStart(6)}  ${fmt(reg ? t.lossMean : (t.accuracyMean ?? NaN)).padStart(9)}  ${`${t.solved}/${t.seeds}`.padStart(6)}  ${fmt(t.seconds).padStart(7)}`,
      ),
    ]);
  });

  const TR = DEFAULT_TRUNCATION;
  common(
    exp
      .command('truncation')
      .description('truncated-BPTT length k against the dependency span of a delayed-recall task')
      .option('--lag <n>', 'delay of the recall task (the dependency span)', intArg(1, 100000), TR.lag)
      .option('--symbols <n>', 'alphabet size', intArg(2, 1000), TR.symbols)
      .option('--k <list>', 'truncation lengths', listArg(intArg(1, 100000)), TR.ks)
      .option('--cell <cell>', 'rnn, lstm or gru', choiceArg(cellNames()), TR.cell)
      .option('--hidden <n>', 'hidden units', intArg(1, 4096), TR.hidden)
      .option('--batch <n>', 'parallel streams', intArg(1, 4096), TR.batch)
      .option('--updates <n>', 'parameter updates (chunks) per k', intArg(1, 10000000), TR.updates)
      .option('--lr <x>', 'Adam learning rate', floatArg(0, 100, true), TR.lr)
      .option('--clip <x>', 'global-norm clipping threshold (0 = off)', floatArg(0, 1e9), TR.clip)
      .option('--eval-length <n>', 'steps of the evaluation stream', intArg(2, 10000000), TR.evalLength)
      .option('--seed <n>', 'seed', intArg(0, 2 ** 31), TR.seed),
    'truncation',
  ).action(async (o: Opts) => {
    const run = runTruncationExperiment(
      {
        lag: o.lag as number,
        symbols: o.symbols as number,
        ks: o.k as number[],
        cell: o.cell as string,
        hidden: o.hidden as number,
        batch: o.batch as number,
        updates: o.updates as number,
        lr: o.lr as number,
        clip: o.clip as number,
        evalLength: o.evalLength as number,
        seed: o.seed as number,
      },
      progressFor(Boolean(o.quiet), 'truncation', 'updates'),
    );
    const r = run.options;
    const command = commandLine('truncation', [
      ['lag', r.lag],
      ['symbols', r.symbols],
      ['k', r.ks],
      ['cell', r.cell],
      ['hidden', r.hidden],
      ['batch', r.batch],
      ['updates', r.updates],
      ['lr', r.lr],
      ['clip', r.clip],
      ['eval-length', r.evalLength],
      ['seed', r.seed],
      ['out', o.out],
    ]);
    await finish(o.out as string, truncationReport(run, command), [
      `lag ${r.lag}, chance ${fmt(run.chance)}:`,
      '   k  reachable  accuracy',
      ...run.rows.map(
        (t) =>
          `${String(t.k).padStart(4)}  ${`${Math.round(100 * t.reach)}%`.padStart(9)}  ${fmt(t.accuracy).padStart(8)}`,
      ),
    ]);
  });
}
