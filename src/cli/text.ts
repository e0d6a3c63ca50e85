/**
 * `kioku train char`, `kioku sample` and `kioku demo`: the character language model from
 * the command line (the lecture's "text generation with LSTM or GRU").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describeChar } from '../wings/charlm/vocab.js';
import { BUILTIN_CORPUS } from '../wings/charlm/corpus.js';
import { cellNames } from '../nn/cells.js';
import { loadCharLM } from '../wings/charlm/io.js';
import {
  type CharTrainConfig,
  type CharTrainRun,
  DEFAULT_CHAR_TRAIN,
  trainCharLM,
} from '../wings/charlm/train.js';
import { beamSearch, type Generation, sample } from '../wings/charlm/generate.js';
import { OPTIMIZER_KINDS } from '../optim/factory.js';
import type { TrainEvent } from '../train/trainer.js';
import { KiokuError } from '../util/errors.js';
import { lineChart, writeFigure } from '../node/plot.js';
import { choiceArg, floatArg, intArg, mergeConfigFile } from './options.js';
import { createProgress } from './progress.js';

const D = DEFAULT_CHAR_TRAIN;

function addTrainOptions(cmd: Command, defaults: Partial<CharTrainConfig> = {}): Command {
  const d = { ...D, ...defaults };
  return cmd
    .option(
      '--data <file>',
      `UTF-8 text file, or ${BUILTIN_CORPUS} (State of the Union addresses 1961-2021)`,
      d.data,
    )
    .option('--cell <cell>', 'recurrent cell: lstm, gru or rnn', choiceArg(cellNames()), d.cell)
    .option('--hidden <n>', 'hidden units per layer', intArg(1, 8192), d.hidden)
    .option('--layers <n>', 'stacked recurrent layers', intArg(1, 16), d.layers)
    .option('--embed <n>', 'character embedding size', intArg(1, 4096), d.embed)
    .option(
      '--dropout <p>',
      'dropout between layers and before the output (0 = off)',
      floatArg(0, 0.95),
      d.dropout,
    )
    .option('--seq <n>', 'truncated-BPTT length (characters per backprop window)', intArg(1, 100000), d.seq)
    .option('--batch <n>', 'parallel streams per batch', intArg(1, 100000), d.batch)
    .option(
      '--optimizer <name>',
      `optimizer: ${OPTIMIZER_KINDS.join(', ')}`,
      choiceArg(OPTIMIZER_KINDS),
      d.optimizer,
    )
    .option('--lr <x>', 'learning rate', floatArg(0, 10, true), d.lr)
    .option(
      '--decay <x>',
      'multiply the learning rate by this every --decay-every steps (1 = off)',
      floatArg(0, 1, true),
      d.decay,
    )
    .option('--decay-every <n>', 'steps between learning-rate decays', intArg(1), d.decayEvery)
    .option('--clip <x>', 'gradient clipping threshold', floatArg(0, Infinity, true), d.clip)
    .option(
      '--clip-mode <mode>',
      'norm (global L2, default), value (element-wise) or none',
      choiceArg(['norm', 'value', 'none'] as const),
      d.clipMode,
    )
    .option('--steps <n>', 'training steps (batches)', intArg(1))
    .option('--time <seconds>', 'training time budget in seconds', floatArg(0, Infinity, true))
    .option(
      '--val-fraction <x>',
      'fraction of the text held out for validation (the end of it)',
      floatArg(0, 0.5, true),
      d.valFraction,
    )
    .option('--validate-every <n>', 'steps between validation passes', intArg(1), d.validateEvery)
    .option('--checkpoint-every <n>', 'steps between checkpoints', intArg(1), d.checkpointEvery)
    .option('--seed <n>', 'random seed (initialisation, dropout)', intArg(0, 2 ** 31), d.seed)
    .option(
      '--out <dir>',
      'output directory (model.safetensors, checkpoints/, train-log.json, loss.svg/png)',
      d.out,
    )
    .option('--quiet', 'no progress output')
    .option('--config <file>', 'JSON file setting any of these options by camelCase name (flags win)');
}

function toTrainConfig(o: Record<string, unknown>): CharTrainConfig {
  const cfg: CharTrainConfig = {
    data: o.data as string,
    cell: o.cell as CharTrainConfig['cell'],
    hidden: o.hidden as number,
    layers: o.layers as number,
    embed: o.embed as number,
    dropout: o.dropout as number,
    seq: o.seq as number,
    batch: o.batch as number,
    optimizer: o.optimizer as CharTrainConfig['optimizer'],
    lr: o.lr as number,
    decay: o.decay as number,
    decayEvery: o.decayEvery as number,
    clip: o.clip as number,
    clipMode: o.clipMode as CharTrainConfig['clipMode'],
    steps: o.steps as number | undefined,
    time: o.time as number | undefined,
    valFraction: o.valFraction as number,
    validateEvery: o.validateEvery as number,
    checkpointEvery: o.checkpointEvery as number,
    seed: o.seed as number,
    out: o.out as string,
  };
  if (cfg.steps === undefined && cfg.time === undefined)
    throw new KiokuError('give --steps N or --time SECONDS');
  return cfg;
}

/** Train with a progress bar; returns the run. */
async function trainWithProgress(
  cfg: CharTrainConfig,
  quiet: boolean,
  resume = false,
): Promise<CharTrainRun> {
  const byTime = cfg.steps === undefined;
  const total = byTime ? Math.ceil(cfg.time as number) : (cfg.steps as number);
  const progress = createProgress({
    total,
    label: `train ${cfg.cell}`,
    unit: byTime ? 's' : 'steps',
    quiet,
    format: `train ${cfg.cell} |{bar}| {value}/{total} ${byTime ? 's' : 'steps'} | loss {loss} | val {val} | {tps} tok/s | Δθ/θ {ratio} | ETA {eta_formatted}`,
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
  try {
    return await trainCharLM(cfg, { onEvent, resume });
  } finally {
    progress.stop();
  }
}

async function writeLossFigure(run: CharTrainRun): Promise<{ svg: string; png: string }> {
  const rows: Record<string, unknown>[] = [];
  for (const h of run.result.history) {
    rows.push({ step: h.step, loss: h.loss, split: 'train (batch)' });
    if (h.valLoss !== undefined) rows.push({ step: h.step, loss: h.valLoss, split: 'validation' });
  }
  return writeFigure(
    join(run.outDir, 'loss'),
    lineChart({
      title: 'Character LM loss (nats/char)',
      data: rows,
      x: 'step',
      y: 'loss',
      color: 'split',
      yTitle: 'cross-entropy (nats/char)',
    }),
  );
}

function summary(run: CharTrainRun): string {
  const r = run.result;
  return (
    `trained ${r.steps} steps in ${r.seconds.toFixed(1)} s (${Math.round(r.tokensPerSec)} tokens/s); ` +
    `train loss ${r.finalLoss.toFixed(4)}, validation loss ${r.valLoss.toFixed(4)} nats/char ` +
    `(${(r.valLoss / Math.LN2).toFixed(3)} bits/char); ${run.model.numParameters()} parameters; saved ${join(run.outDir, 'model.safetensors')}`
  );
}

function showGeneration(label: string, g: Generation): void {
  console.log(
    `--- ${label} (log p = ${g.logProb.toFixed(2)} nats, perplexity ${g.perplexity.toFixed(3)}/char) ---`,
  );
  console.log(g.prime + g.text);
}

function warnUnknown(g: Generation): void {
  if (g.unknown.length) {
    console.error(
      `kioku: skipped prime characters not in the vocabulary: ${g.unknown.map(describeChar).join(', ')}`,
    );
  }
}

export function registerTextCommands(program: Command): void {
  const train = program.command('train').description('train a model');
  addTrainOptions(
    train
      .command('char')
      .description('train a character-level language model (truncated BPTT, clipping, LR decay, checkpoints)')
      .option('--resume', 'continue the run saved in --out exactly where it stopped'),
  ).action(async (_opts, cmd: Command) => {
    const o = mergeConfigFile(cmd);
    const cfg = toTrainConfig(o);
    const run = await trainWithProgress(cfg, Boolean(o.quiet), Boolean(o.resume));
    const fig = await writeLossFigure(run);
    console.log(summary(run));
    console.log(`loss curve: ${fig.svg}, ${fig.png}`);
  });

  program
    .command('sample')
    .description('generate text from a trained character model')
    .requiredOption('--model <dir>', 'model directory (or its model.safetensors)')
    .option('--prime <text>', 'text to start from (multi-line allowed)')
    .option('--prime-file <file>', 'read the prime from a UTF-8 file')
    .option('--length <n>', 'characters to generate', intArg(1, 1_000_000), 500)
    .option('--temperature <t>', 'softmax temperature (0 = greedy)', floatArg(0), 1)
    .option('--top-k <k>', 'sample among the k most probable characters (0 = all)', intArg(0), 0)
    .option('--beam <w>', 'beam search of width w for the most probable continuation', intArg(1, 1000))
    .option('--seed <n>', 'random seed', intArg(0, 2 ** 31), 0)
    .action((o: Record<string, unknown>) => {
      if (o.prime !== undefined && o.primeFile !== undefined)
        throw new KiokuError('give --prime or --prime-file, not both');
      let prime = o.prime as string | undefined;
      if (o.primeFile !== undefined) {
        try {
          prime = readFileSync(o.primeFile as string, 'utf8');
        } catch {
          throw new KiokuError(`prime file ${o.primeFile} not found`);
        }
      }
      const { model, vocab } = loadCharLM(o.model as string);
      const g =
        o.beam !== undefined
          ? beamSearch(model, vocab, { prime, length: o.length as number, width: o.beam as number })
          : sample(model, vocab, {
              prime,
              length: o.length as number,
              temperature: o.temperature as number,
              topK: o.topK as number,
              seed: o.seed as number,
            });
      warnUnknown(g);
      console.log(g.prime + g.text);
      console.error(
        `log p = ${g.logProb.toFixed(3)} nats, perplexity ${g.perplexity.toFixed(4)} per character`,
      );
    });

  program
    .command('demo')
    .description(
      'the main job: train a small LSTM on the built-in corpus (~2 min), save it, plot the loss and print samples',
    )
    .option('--steps <n>', 'training steps instead of the time budget', intArg(1))
    .option('--time <seconds>', 'training time budget', floatArg(0, Infinity, true), 120)
    .option('--out <dir>', 'output directory', 'runs/demo')
    .option('--cell <cell>', 'recurrent cell', choiceArg(cellNames()), 'lstm')
    .option('--prime <text>', 'prime for the samples', 'The ')
    .option('--quiet', 'no progress bar')
    .action(async (o: Record<string, unknown>) => {
      const cfg: CharTrainConfig = {
        ...D,
        out: o.out as string,
        cell: o.cell as CharTrainConfig['cell'],
        ...(o.steps !== undefined
          ? { steps: o.steps as number, time: undefined }
          : { time: o.time as number }),
        validateEvery: 50,
        checkpointEvery: 200,
      };
      console.log(
        `kioku demo: training a ${cfg.cell.toUpperCase()} (${cfg.layers}×${cfg.hidden}) on ${BUILTIN_CORPUS} ` +
          (cfg.steps !== undefined ? `for ${cfg.steps} steps` : `for ${cfg.time} s`) +
          ` → ${cfg.out}`,
      );
      const run = await trainWithProgress(cfg, Boolean(o.quiet));
      const fig = await writeLossFigure(run);
      console.log(summary(run));
      console.log(`loss curve: ${fig.png}`);
      const prime = o.prime as string;
      for (const temperature of [0.5, 0.8, 1.0]) {
        const g = sample(run.model, run.vocab, { prime, length: 200, temperature, seed: 1 });
        warnUnknown(g);
        showGeneration(`sample, temperature ${temperature}`, g);
      }
      showGeneration(
        'beam search, width 8',
        beamSearch(run.model, run.vocab, { prime, length: 80, width: 8 }),
      );
      console.log(`\nsample more with: kioku sample --model ${cfg.out} --prime "${prime}" --temperature 0.8`);
    });
}
