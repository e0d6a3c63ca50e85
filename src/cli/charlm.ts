/**
 * `kioku charlm train|sample|demo`: the character language model from the command line
 * (the lecture's "text generation with LSTM or GRU"). The older forms `kioku train char`,
 * `kioku sample` and `kioku demo` are aliases.
 */
import { readTextBounded } from '../node/files.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cellNames } from '../nn/cells.js';
import { OPTIMIZER_KINDS } from '../optim/factory.js';
import type { TrainEvent } from '../train/trainer.js';
import { KiokuError } from '../util/errors.js';
import { BUILTIN_CORPUS } from '../wings/charlm/corpus.js';
import { writeLossFigure } from '../wings/charlm/figures.js';
import { beamSearch, type Generation, sample } from '../wings/charlm/generate.js';
import { loadCharLM } from '../wings/charlm/io.js';
import {
  type CharTrainConfig,
  type CharTrainRun,
  DEFAULT_CHAR_TRAIN,
  trainCharLM,
} from '../wings/charlm/train.js';
import { describeChar } from '../wings/charlm/vocab.js';
import { type FinishedRun, type RunFlags, TrainingInterrupted } from '../node/run-dir.js';
import { createProgress } from './progress.js';
import { isFinished, runFlags, runOptions } from './run-flags.js';
import { attachArea, choice, defineCommand, flag, float, int, str, UsageError } from './schema.js';

const D = DEFAULT_CHAR_TRAIN;

/** The options of `kioku charlm train` (exported for tests and docs). */
export const CHARLM_TRAIN_OPTIONS = {
  data: str(`UTF-8 text file, or ${BUILTIN_CORPUS} (State of the Union addresses 1961-2021)`, {
    arg: 'file',
    default: D.data,
  }),
  cell: choice('recurrent cell', cellNames, { default: D.cell }),
  hidden: int('hidden units per layer', { min: 1, max: 8192, default: D.hidden }),
  layers: int('stacked recurrent layers', { min: 1, max: 16, default: D.layers }),
  embed: int('character embedding size', { min: 1, max: 4096, default: D.embed }),
  dropout: float('dropout between layers and before the output (0 = off)', {
    arg: 'p',
    min: 0,
    max: 0.95,
    default: D.dropout,
  }),
  seq: int('truncated-BPTT length (characters per backprop window)', { min: 1, max: 100000, default: D.seq }),
  batch: int('parallel streams per batch', { min: 1, max: 100000, default: D.batch }),
  optimizer: choice('optimizer', OPTIMIZER_KINDS, { default: D.optimizer }),
  lr: float('learning rate', { min: 0, minExclusive: true, max: 10, default: D.lr }),
  decay: float('multiply the learning rate by this every --decay-every steps (1 = off)', {
    min: 0,
    minExclusive: true,
    max: 1,
    default: D.decay,
  }),
  decayEvery: int('steps between learning-rate decays', { min: 1, default: D.decayEvery }),
  clip: float('gradient clipping threshold', { min: 0, minExclusive: true, default: D.clip }),
  clipMode: choice('norm (global L2), value (element-wise) or none', ['norm', 'value', 'none'] as const, {
    arg: 'mode',
    default: D.clipMode,
  }),
  steps: int('training steps (batches)', { min: 1 }),
  time: float('training time budget in seconds', { arg: 'seconds', min: 0, minExclusive: true }),
  valFraction: float('fraction of the text held out for validation (the end of it)', {
    min: 0,
    minExclusive: true,
    max: 0.5,
    default: D.valFraction,
  }),
  validateEvery: int('steps between validation passes', { min: 1, default: D.validateEvery }),
  checkpointEvery: int('steps between checkpoints', { min: 1, default: D.checkpointEvery }),
  seed: int('random seed (initialisation, dropout)', { min: 0, max: 2 ** 31, default: D.seed }),
  out: str('run directory (model.safetensors, checkpoints/, train-log.json, loss.svg/png)', {
    arg: 'dir',
    default: D.out,
  }),
  ...runOptions,
  quiet: flag('no progress output'),
};

/** What `charlm train` (and the training part of `demo`) reports. */
interface TrainSummary {
  out: string;
  model: string;
  cell: string;
  steps: number;
  seconds: number;
  tokensPerSec: number;
  trainLoss: number;
  valLoss: number;
  valBitsPerChar: number;
  parameters: number;
  figures: { svg: string; png: string };
}

/** Train with a progress bar (stderr), write the loss figure; returns the run's summary. */
async function trainWithProgress(
  cfg: CharTrainConfig,
  quiet: boolean,
  flags: RunFlags,
): Promise<{ run: CharTrainRun; summary: TrainSummary } | FinishedRun> {
  const byTime = cfg.steps === undefined;
  const total = cfg.steps ?? Math.ceil(cfg.time ?? 0);
  const unit = byTime ? 's' : 'steps';
  const progress = createProgress({
    total,
    label: `train ${cfg.cell}`,
    unit,
    quiet,
    format: `train ${cfg.cell} |{bar}| {value}/{total} ${unit} | loss {loss} | val {val} | {tps} tok/s | Δθ/θ {ratio} | ETA {eta_formatted}`,
  });
  let val = '-';
  const onEvent = (e: TrainEvent): void => {
    if (e.type === 'validate') val = e.valLoss.toFixed(3);
    if (e.type === 'step') {
      progress.update(byTime ? Math.floor(e.elapsedSeconds) : e.step, {
        loss: e.loss.toFixed(3),
        val,
        tps: Math.round(e.tokensPerSec),
        ratio: e.updateRatio.toExponential(1),
        step: e.step,
      });
    }
  };
  let run: CharTrainRun | FinishedRun;
  try {
    run = await trainCharLM(cfg, { ...flags, onEvent, log: (m) => progress.log(m) });
  } finally {
    progress.stop();
  }
  if (isFinished(run)) return run;
  const figures = await writeLossFigure(run.outDir, run.result);
  const r = run.result;
  return {
    run,
    summary: {
      out: run.outDir,
      model: join(run.outDir, 'model.safetensors'),
      cell: cfg.cell,
      steps: r.steps,
      seconds: r.seconds,
      tokensPerSec: r.tokensPerSec,
      trainLoss: r.finalLoss,
      valLoss: r.valLoss,
      valBitsPerChar: r.valLoss / Math.LN2,
      parameters: run.model.numParameters(),
      figures,
    },
  };
}

function printSummary(s: TrainSummary): void {
  console.log(
    `trained ${s.steps} steps in ${s.seconds.toFixed(1)} s (${Math.round(s.tokensPerSec)} tokens/s); ` +
      `train loss ${s.trainLoss.toFixed(4)}, validation loss ${s.valLoss.toFixed(4)} nats/char ` +
      `(${s.valBitsPerChar.toFixed(3)} bits/char); ${s.parameters} parameters; saved ${s.model}`,
  );
  console.log(`loss curve: ${s.figures.svg}, ${s.figures.png}`);
}

function showGeneration(label: string, g: Generation): void {
  console.log(
    `--- ${label} (log p = ${g.logProb.toFixed(2)} nats, perplexity ${g.perplexity.toFixed(3)}/char) ---`,
  );
  console.log(g.prime + g.text);
}

function warnUnknown(g: Generation): void {
  if (g.unknown.length)
    console.error(
      `kioku: skipped prime characters not in the vocabulary: ${g.unknown.map(describeChar).join(', ')}`,
    );
}

export const charlmTrain = defineCommand({
  name: 'train',
  description: 'train a character-level language model (truncated BPTT, clipping, LR decay, checkpoints)',
  options: CHARLM_TRAIN_OPTIONS,
  async run(o) {
    if (o.steps === undefined && o.time === undefined)
      throw new UsageError('give --steps N or --time SECONDS');
    const { resume, overwrite, allowChange, quiet, config: _c, json, ...cfg } = o;
    const r = await trainWithProgress(cfg, quiet || json, runFlags({ resume, overwrite, allowChange }));
    return isFinished(r) ? r : r.summary;
  },
  print: (r) => (isFinished(r) ? console.log(r.message) : printSummary(r)),
});

export const charlmSample = defineCommand({
  name: 'sample',
  description: 'generate text from a trained character model',
  options: {
    model: str('run directory (or its model.safetensors)', { arg: 'dir', required: true }),
    prime: str('text to start from (multi-line allowed)'),
    primeFile: str('read the prime from a UTF-8 file', { arg: 'file' }),
    length: int('characters to generate', { min: 1, max: 1_000_000, default: 500 }),
    temperature: float('softmax temperature (0 = greedy; default 1)', { arg: 't', min: 0 }),
    topK: int('sample among the k most probable characters (0 = all)', { arg: 'k', min: 0, default: 0 }),
    beam: int('beam search of width w for the most probable continuation', { arg: 'w', min: 1, max: 1000 }),
    seed: int('random seed', { min: 0, max: 2 ** 31, default: 0 }),
  },
  run(o): Generation {
    if (o.prime !== undefined && o.primeFile !== undefined)
      throw new UsageError('give --prime or --prime-file, not both');
    if (o.beam !== undefined && o.temperature !== undefined)
      throw new UsageError(
        '--beam finds the most probable continuation and ignores --temperature: give one of them',
      );
    const prime = o.primeFile !== undefined ? readTextBounded(o.primeFile, { what: 'prime file' }) : o.prime;
    const { model, vocab } = loadCharLM(o.model);
    const g =
      o.beam !== undefined
        ? beamSearch(model, vocab, { prime, length: o.length, width: o.beam })
        : sample(model, vocab, {
            prime,
            length: o.length,
            temperature: o.temperature ?? 1,
            topK: o.topK,
            seed: o.seed,
          });
    warnUnknown(g);
    return g;
  },
  print(g) {
    console.log(g.prime + g.text);
    console.error(
      `log p = ${g.logProb.toFixed(3)} nats, perplexity ${g.perplexity.toFixed(4)} per character`,
    );
  },
});

/** Where `kioku demo` trains by default: a throwaway run, started over on every demo. */
const DEMO_OUT = 'runs/demo';

export const charlmDemo = defineCommand({
  name: 'demo',
  description:
    'the main job: train a small LSTM on the built-in corpus (~2 min), save it, plot the loss and print samples',
  options: {
    steps: int('training steps instead of the time budget', { min: 1 }),
    time: float('training time budget in seconds', {
      arg: 'seconds',
      min: 0,
      minExclusive: true,
      default: 120,
    }),
    out: str('run directory', { arg: 'dir', default: DEMO_OUT }),
    cell: choice('recurrent cell', cellNames, { default: 'lstm' }),
    prime: str('prime for the samples', { default: 'The ' }),
    quiet: flag('no progress bar'),
    overwrite: flag(`start over in an --out that already holds a run (always so in ${DEMO_OUT})`),
  },
  async run(o) {
    const cfg: CharTrainConfig = {
      ...D,
      out: o.out,
      cell: o.cell,
      ...(o.steps !== undefined ? { steps: o.steps, time: undefined } : { time: o.time }),
      validateEvery: 50,
      checkpointEvery: 200,
    };
    const log = o.json ? console.error : console.log;
    log(
      `kioku demo: training a ${cfg.cell.toUpperCase()} (${cfg.layers}×${cfg.hidden}) on ${BUILTIN_CORPUS} ` +
        (cfg.steps !== undefined ? `for ${cfg.steps} steps` : `for ${cfg.time} s`) +
        ` → ${cfg.out}`,
    );
    // The demo's own folder holds a throwaway run that it starts over every time; another --out
    // may hold a run someone trained for hours, which it replaces only when told (--overwrite).
    const overwrite = o.overwrite || resolve(o.out) === resolve(DEMO_OUT);
    const r = await trainWithProgress(cfg, o.quiet || o.json, { overwrite }).catch((e: unknown) => {
      // The demo has no --resume (it starts over in its folder), so the trainer's generic
      // "Resume with: … --resume" hint would name a flag it lacks: point to what was kept instead.
      if (!(e instanceof TrainingInterrupted)) throw e;
      throw new TrainingInterrupted(
        `demo interrupted at step ${e.step}; the model so far is saved in ${join(cfg.out, 'model.safetensors')}. ` +
          `Sample from it with:\n  kioku charlm sample --model ${cfg.out}`,
        e.step,
        e.checkpoint,
      );
    });
    if (isFinished(r)) throw new KiokuError(`demo: ${r.message}`);
    const { run, summary } = r;
    const samples = [0.5, 0.8, 1.0].map((temperature) => {
      const g = sample(run.model, run.vocab, { prime: o.prime, length: 200, temperature, seed: 1 });
      warnUnknown(g);
      return { label: `sample, temperature ${temperature}`, temperature, ...g };
    });
    const beam = {
      label: 'beam search, width 8',
      ...beamSearch(run.model, run.vocab, { prime: o.prime, length: 80, width: 8 }),
    };
    return { ...summary, samples, beam, prime: o.prime };
  },
  print(r) {
    printSummary(r);
    for (const g of [...r.samples, r.beam]) showGeneration(g.label, g);
    console.log(
      `\nsample more with: kioku charlm sample --model ${r.out} --prime "${r.prime}" --temperature 0.8`,
    );
  },
});

export function registerCharlmCommands(program: Command): void {
  attachArea(program, 'charlm', 'the character language model: train, sample, demo', [
    charlmTrain,
    charlmSample,
    charlmDemo,
  ]);
  // The older forms, kept as aliases.
  const train = program
    .command('train')
    .description('train a model (alias group: `kioku train char` = `kioku charlm train`)');
  charlmTrain.attach(train, { name: 'char', canonical: 'kioku charlm train' });
  charlmSample.attach(program, { name: 'sample', canonical: 'kioku charlm sample' });
  charlmDemo.attach(program, { name: 'demo', canonical: 'kioku charlm demo' });
}
