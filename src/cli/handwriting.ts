/**
 * `kioku handwriting ...`: the lecture's exercise 2, Graves (2013) §4 handwriting
 * prediction with a mixture density network, from the command line. The work is done by
 * the wing (src/wings/handwriting/run.ts); this file declares the options and prints.
 *
 * | command | what |
 * |---|---|
 * | `handwriting data` | preview / export the built-in Hershey set, or convert IAM-OnDB to stroke-3 |
 * | `handwriting train` | train an RNN / LSTM / GRU prediction network; reports NLL per sequence and per point, and SSE |
 * | `handwriting eval` | validation NLL of a saved model |
 * | `handwriting sample` | free-running or primed generation with bias and temperature (SVG + PNG) |
 * | `handwriting density` | the predicted next-point density along a line (Graves Fig. 10), end-of-stroke track, mixture weights |
 * | `handwriting hairs` | many sampled continuations from one point of a line |
 * | `handwriting compare` | a table and the validation curves of saved models |
 */
import type { Command } from 'commander';
import { cellNames } from '../nn/cells.js';
import type { StrokeDataOptions, StrokeSource } from '../wings/handwriting/data.js';
import {
  compareModels,
  dataPreview,
  densityFigure,
  evaluateSavedModel,
  hairsFigure,
  runHandwritingTraining,
  sampleFigure,
} from '../wings/handwriting/run.js';
import type { EvalInfo } from '../wings/handwriting/train.js';
import { createProgress } from './progress.js';
import { isFinished, runFlags, runOptions } from './run-flags.js';
import {
  attachArea,
  choice,
  defineCommand,
  flag,
  float,
  int,
  list,
  str,
  UsageError,
  type Values,
} from './schema.js';

const SOURCES: readonly StrokeSource[] = ['builtin', 'iam', 'stroke3'];
const MODEL_HELP = 'pretrained name (rnn, lstm, gru), a run directory (its handwriting.safetensors) or a .safetensors file';
const LINE_HELP = 'valid:N or train:N (of --data), a stroke-3 .json[:N] or an IAM .xml file';

/** The data options every handwriting command shares. */
const dataOptions = {
  data: choice(
    'builtin (Hershey script lines), iam (IAM-OnDB lineStrokes folder) or stroke3 (JSON)',
    SOURCES,
    {
      arg: 'source',
      default: 'builtin',
    },
  ),
  dataPath: str('iam: the lineStrokes folder; stroke3: a JSON file of lines', { arg: 'path' }),
  validPath: str('stroke3: a JSON file of validation lines (else --valid-fraction of --data-path)', {
    arg: 'file',
  }),
  validFraction: float('fraction of lines held out for validation (iam, stroke3)', {
    min: 0,
    max: 0.9,
    default: 0.1,
  }),
  smooth: int('Savitzky–Golay smoothing window (odd ≥ 3; 0 = off)', {
    arg: 'window',
    min: 0,
    max: 101,
    default: 0,
  }),
  outliers: flag('remove outlier jumps (IAM data)', { default: true }),
  dataSeed: int('builtin: seed of the generated data set', { min: 0, max: 2 ** 31, default: 1 }),
  limit: int('iam: read at most this many lines', { min: 1 }),
};

function strokeData(o: Values<typeof dataOptions>): StrokeDataOptions {
  if (o.smooth !== 0 && (o.smooth < 3 || o.smooth % 2 === 0))
    throw new UsageError(`--smooth must be 0 or an odd window ≥ 3, got ${o.smooth}`);
  return {
    source: o.data,
    path: o.dataPath,
    validPath: o.validPath,
    validFraction: o.validFraction,
    smooth: o.smooth,
    outliers: o.outliers,
    limit: o.limit,
    builtin: { seed: o.dataSeed },
  };
}

function fmtEval(e: EvalInfo): string {
  return (
    `step ${String(e.step).padStart(5)} | train ${e.trainLoss.toFixed(3)} nats/pt | ` +
    `valid ${e.nllPerSequence.toFixed(1)} nats/seq, ${e.nllPerPoint.toFixed(4)} nats/pt | SSE ${e.ssePerSequence.toFixed(1)}/seq`
  );
}

const pngScale = float('PNG pixels per SVG pixel', { min: 0.25, max: 8, default: 2 });

const train = defineCommand({
  name: 'train',
  description:
    'train a handwriting prediction network (stacked RNN/LSTM/GRU with skip connections, MDN output)',
  options: {
    ...dataOptions,
    cell: choice('recurrent cell', cellNames, { default: 'lstm' }),
    hidden: int('hidden units per layer', { min: 1, max: 4096, default: 64 }),
    budget: int('choose --hidden so the model has about this many parameters (equal-size cell comparisons)', {
      min: 100,
    }),
    layers: int('stacked recurrent layers', { min: 1, max: 16, default: 2 }),
    mixtures: int('mixture components M (1 + 6M outputs)', { min: 1, max: 100, default: 20 }),
    peephole: flag('LSTM peephole connections (as in the paper)'),
    skip: flag('skip connections (input to every layer, every layer to the output)', { default: true }),
    optimizer: choice(
      'adam, graves-rmsprop (eqs. 38-45) or rmsprop',
      ['adam', 'graves-rmsprop', 'rmsprop'] as const,
      {
        default: 'adam',
      },
    ),
    lr: float('learning rate (default 2e-3 for adam, 1e-4 for graves-rmsprop)', {
      min: 0,
      minExclusive: true,
      max: 10,
    }),
    lrFinal: float('decay the learning rate linearly to lr × this at the last step', {
      min: 0,
      max: 1,
      default: 1,
    }),
    batch: int('sequences per batch', { min: 1, max: 4096, default: 16 }),
    seqLen: int('window length in points (0 = whole lines)', { min: 0, default: 150 }),
    steps: int('optimizer steps', { min: 1, default: 1000 }),
    clipOutput: float('clip output derivatives to [−x, x] (Graves: 100; 0 = off)', { min: 0, default: 100 }),
    clipLayer: float('clip derivatives into each recurrent layer to [−x, x] (Graves: 10; 0 = off)', {
      min: 0,
      default: 10,
    }),
    clipNorm: float('clip the global gradient norm (0 = off)', { min: 0, default: 10 }),
    evalEvery: int('validate every n steps (0 = at the end only)', { min: 0, default: 100 }),
    seed: int('seed of initialisation and batch sampling', { min: 0, max: 2 ** 31, default: 1 }),
    out: str('run directory (handwriting.safetensors: the model; checkpoints, train-log.json, curve.svg/png)', {
      arg: 'dir',
      default: 'runs/handwriting',
    }),
    checkpointEvery: int('save a checkpoint (weights, optimizer, step, RNG) every n steps (0 = at the end and on Ctrl-C only)', {
      min: 0,
      default: 0,
    }),
    gradCheckpoint: int(
      'gradient checkpointing: keep the recurrent state every n steps and recompute the rest in backward (less memory on long windows, ~⅓ more compute; same gradients; 0 = off)',
      { arg: 'n', min: 0, default: 0 },
    ),
    ...runOptions,
    quiet: flag('no progress output'),
  },
  async run(o) {
    const quiet = o.quiet || o.json;
    const progress = createProgress({
      total: o.steps,
      label: `train ${o.cell}`,
      unit: 'steps',
      quiet,
      format: `train ${o.cell} |{bar}| {value}/{total} steps | loss {loss} nats/pt | valid {val} nats/seq | ETA {eta_formatted}`,
    });
    let val = '-';
    try {
      return await runHandwritingTraining(
        {
          data: strokeData(o),
          model: {
            cell: o.cell,
            hiddenSize: o.hidden,
            budget: o.budget,
            numLayers: o.layers,
            mixtures: o.mixtures,
            skip: o.skip,
            peephole: o.peephole,
            seed: o.seed,
          },
          train: {
            optimizer: o.optimizer,
            lr: o.lr,
            lrFinal: o.lrFinal,
            batchSize: o.batch,
            seqLen: o.seqLen,
            steps: o.steps,
            clip: { output: o.clipOutput, layer: o.clipLayer, norm: o.clipNorm },
            evalEvery: o.evalEvery,
            seed: o.seed,
            checkpointEvery: o.checkpointEvery,
            gradCheckpoint: o.gradCheckpoint,
          },
          out: o.out,
          ...runFlags(o),
        },
        {
          log: (m) => {
            if (!quiet) console.error(m);
          },
          onStep: (s) => progress.update(s.step, { loss: s.loss.toFixed(3), val }),
          onEval: (e) => {
            val = e.nllPerSequence.toFixed(1);
            progress.log(fmtEval(e));
          },
        },
      );
    } finally {
      progress.stop();
    }
  },
  print(r) {
    if (isFinished(r)) return console.log(r.message);
    const f = r.valid;
    console.log(
      `${r.cell} ${r.layers}×${r.hidden} (${r.parameters} parameters), ${r.steps} steps in ${r.seconds.toFixed(0)} s: ` +
        `validation NLL ${f.nllPerSequence.toFixed(1)} nats/sequence, ${f.nllPerPoint.toFixed(4)} nats/point, SSE ${f.ssePerSequence.toFixed(2)}/sequence ` +
        `(${f.sequences} lines, ${f.points} points); saved ${r.model}`,
    );
    console.log(`validation curve: ${r.curve.svg}, ${r.curve.png}`);
  },
});

const evaluate = defineCommand({
  name: 'eval',
  description:
    'validation NLL (nats per sequence and per point) and SSE of a saved model, as in Graves Table 3',
  options: { ...dataOptions, model: str(MODEL_HELP, { arg: 'name|path', required: true }) },
  run: (o) => evaluateSavedModel(o.model, strokeData(o)),
  print(e) {
    console.log(
      `${e.path}: validation NLL ${e.nllPerSequence.toFixed(2)} nats/sequence, ${e.nllPerPoint.toFixed(4)} nats/point, ` +
        `SSE ${e.ssePerSequence.toFixed(2)}/sequence (${e.sequences} lines, ${e.points} points)`,
    );
  },
});

const sample = defineCommand({
  name: 'sample',
  description:
    'generate handwriting: free-running, or primed with strokes; sampling bias (Graves eqs. 61-62) and temperature; writes SVG and PNG',
  options: {
    ...dataOptions,
    model: str(MODEL_HELP, { arg: 'name|path', required: true }),
    out: str('run directory for sample.svg and sample.png', {
      arg: 'dir',
      default: 'runs/handwriting/sample',
    }),
    pngScale,
    steps: int('points to generate', { min: 1, max: 100000, default: 500 }),
    count: int('independent samples (one row each)', { min: 1, max: 64, default: 4 }),
    bias: float('sampling bias b ≥ 0: σ = exp(σ̂ − b), π = softmax(π̂(1 + b))', {
      arg: 'b',
      min: 0,
      max: 100,
      default: 0,
    }),
    temperature: float('temperature τ > 0 (π̂/τ, σ√τ, ê/τ)', {
      arg: 't',
      min: 0,
      minExclusive: true,
      max: 100,
      default: 1,
    }),
    seed: int('sampling seed', { min: 0, max: 2 ** 31, default: 1 }),
    prime: str(`continue this line: ${LINE_HELP}`, { arg: 'line' }),
    primePoints: int('use only the first n points of the prime', { min: 1 }),
    stroke3: str('also write the samples as stroke-3 JSON to this file', { arg: 'file' }),
  },
  run: (o) => sampleFigure({ ...o, data: strokeData(o) }),
  print(r) {
    const primed = r.primePoints ? `, primed with ${r.primePoints} points` : '';
    console.log(`wrote ${r.svg} and ${r.png} (${r.samples} × ${r.points} points${primed})`);
  },
});

const density = defineCommand({
  name: 'density',
  description:
    'the predicted next-point density along a line as a heatmap (Graves Fig. 10), with the end-of-stroke probability, mixture weights and per-point NLL',
  options: {
    ...dataOptions,
    model: str(MODEL_HELP, { arg: 'name|path', required: true }),
    line: str(LINE_HELP, { arg: 'line', default: 'valid:0' }),
    out: str('run directory for density.svg and density.png', {
      arg: 'dir',
      default: 'runs/handwriting/density',
    }),
    pngScale,
    width: int('heatmap width in pixels', { arg: 'px', min: 100, max: 4000, default: 900 }),
    strokes: flag('draw the line over the heatmap', { default: true }),
  },
  run: (o) => densityFigure({ ...o, data: strokeData(o) }),
  print(r) {
    console.log(`wrote ${r.svg} and ${r.png} (${r.points} points; NLL ${r.nll.toFixed(2)} nats)`);
  },
});

const hairs = defineCommand({
  name: 'hairs',
  description:
    'many sampled continuations ("hairs") from one point of a line: the spread of the predicted distribution',
  options: {
    ...dataOptions,
    model: str(MODEL_HELP, { arg: 'name|path', required: true }),
    line: str(LINE_HELP, { arg: 'line', default: 'valid:0' }),
    at: list('points of the line to branch from (default: 4 evenly spaced)', int('point', { min: 0 }), {
      arg: 'points',
    }),
    count: int('continuations per point', { min: 1, max: 500, default: 40 }),
    length: int('points per continuation', { min: 1, max: 2000, default: 25 }),
    bias: float('sampling bias b ≥ 0', { arg: 'b', min: 0, max: 100, default: 0 }),
    temperature: float('temperature τ > 0', { arg: 't', min: 0, minExclusive: true, max: 100, default: 1 }),
    seed: int('sampling seed', { min: 0, max: 2 ** 31, default: 1 }),
    out: str('run directory for hairs.svg and hairs.png', { arg: 'dir', default: 'runs/handwriting/hairs' }),
    pngScale,
  },
  run: (o) => hairsFigure({ ...o, data: strokeData(o) }),
  print(r) {
    console.log(`wrote ${r.svg} and ${r.png}`);
  },
});

const data = defineCommand({
  name: 'data',
  description:
    'draw lines of a stroke data set (the built-in Hershey set by default) and export them as stroke-3 JSON',
  options: {
    ...dataOptions,
    split: choice('the split to draw', ['train', 'valid'] as const, { default: 'train' }),
    count: int('lines to draw', { min: 1, max: 200, default: 6 }),
    points: flag('mark every sampled point and the pen-up moves'),
    out: str('run directory for data.svg and data.png', { arg: 'dir', default: 'runs/handwriting/data' }),
    pngScale,
    stroke3: str('write the whole split (raw units) as stroke-3 JSON to this file', { arg: 'file' }),
  },
  run: (o) => ({ split: o.split, ...dataPreview({ ...o, data: strokeData(o) }) }),
  print(r) {
    console.log(r.description);
    const s = r.stats;
    console.log(
      `offset statistics (training set): mean (${s.meanX.toFixed(4)}, ${s.meanY.toFixed(4)}), std (${s.stdX.toFixed(4)}, ${s.stdY.toFixed(4)})`,
    );
    if (r.lines)
      console.log(`${r.split}: ${r.lines} lines, ${r.points} points (median ${r.medianPoints} per line)`);
    if (r.acknowledgement) console.log(`Hershey fonts: ${r.acknowledgement}`);
    console.log(`wrote ${r.svg} and ${r.png}`);
    if (r.stroke3) console.log(`wrote ${r.lines} lines to ${r.stroke3}`);
  },
});

const compare = defineCommand({
  name: 'compare',
  description:
    'compare saved models (e.g. the RNN, LSTM and GRU of equal size): a markdown table of validation NLL and the validation curves',
  options: {
    ...dataOptions,
    models: list('pretrained names, run directories or .safetensors files', str('model'), {
      default: ['rnn', 'lstm', 'gru'],
    }),
    evaluate: flag('evaluate again on the validation lines of --data (else the numbers saved at training)'),
    out: str('also write the validation curves to <dir>/compare.svg/.png', { arg: 'dir' }),
  },
  run: (o) =>
    compareModels({ models: o.models, evaluateOn: o.evaluate ? strokeData(o) : undefined, out: o.out }),
  print(r) {
    const rows = [
      '| cell | layers × units | parameters | steps | validation NLL (nats/sequence) | (nats/point) | SSE (per sequence) |',
      '|---|---|---|---|---|---|---|',
      ...r.models.map(
        (m) =>
          `| ${m.cell}${m.peephole ? ' (peepholes)' : ''} | ${m.layers} × ${m.hidden} | ${m.parameters.toLocaleString('en-US')} | ${m.steps ?? '?'} | ${m.valid.nllPerSequence.toFixed(1)} | ${m.valid.nllPerPoint.toFixed(3)} | ${m.valid.ssePerSequence.toFixed(1)} |`,
      ),
    ];
    console.log(rows.join('\n'));
    if (r.figure) console.log(`wrote ${r.figure.svg} and ${r.figure.png}`);
  },
});

export function registerHandwritingCommands(program: Command): void {
  attachArea(
    program,
    'handwriting',
    'Graves (2013) §4 handwriting prediction with a mixture density network: data, train, eval, sample, density, hairs, compare',
    [train, evaluate, sample, density, hairs, data, compare],
  );
}
