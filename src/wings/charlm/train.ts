/**
 * Train a character language model end to end: read the corpus, build the vocabulary,
 * split off validation text, and run the `Trainer` with truncated BPTT. Used by
 * `kioku train char` and `kioku demo`.
 *
 * ```ts
 * const run = await trainCharLM({ ...DEFAULT_CHAR_TRAIN, steps: 500, out: 'runs/lm' });
 * console.log(run.result.valLoss); // nats per character
 * ```
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../node/checkpoint-file.js';
import { CharVocab } from './vocab.js';
import { BUILTIN_CORPUS, loadCorpus, splitTrainVal } from './corpus.js';
import type { OptimizerKind } from '../../optim/factory.js';
import { CharLMTask } from './task.js';
import { type ClipMode, type TrainEvent, Trainer, type TrainResult } from '../../train/trainer.js';
import { KiokuError } from '../../util/errors.js';
import { CharLM } from './model.js';
import { CHARLM_KIND, type CharLMCheckpointConfig } from './io.js';
import { writeFileAtomic } from '../../node/atomic.js';

/** Every setting of a char-LM training run, with documented defaults (DEFAULT_CHAR_TRAIN). */
export interface CharTrainConfig {
  /** UTF-8 text file, or `builtin:sotu` (State of the Union addresses, 1961–2021). */
  data: string;
  cell: string;
  hidden: number;
  layers: number;
  embed: number;
  dropout: number;
  /** Backprop length T of truncated BPTT. */
  seq: number;
  batch: number;
  optimizer: OptimizerKind;
  lr: number;
  /** Multiply the LR by `decay` every `decayEvery` steps (StepLR). */
  decay: number;
  decayEvery: number;
  clip: number;
  clipMode: ClipMode;
  /** Total steps; when both steps and time are set, whichever comes first. */
  steps?: number;
  /** Wall-clock budget in seconds. */
  time?: number;
  valFraction: number;
  validateEvery: number;
  checkpointEvery: number;
  seed: number;
  out: string;
}

export const DEFAULT_CHAR_TRAIN: CharTrainConfig = {
  data: BUILTIN_CORPUS,
  cell: 'lstm',
  hidden: 128,
  layers: 1,
  embed: 32,
  dropout: 0,
  seq: 64,
  batch: 32,
  optimizer: 'adam',
  lr: 3e-3,
  decay: 0.95,
  decayEvery: 500,
  clip: 5,
  clipMode: 'norm',
  valFraction: 0.05,
  validateEvery: 100,
  checkpointEvery: 500,
  seed: 0,
  out: 'runs/char',
};

export interface CharTrainRun {
  model: CharLM;
  vocab: CharVocab;
  result: TrainResult;
  trainer: Trainer;
  outDir: string;
  corpusChars: number;
}

/**
 * Train (or, with `resume`, continue) a char LM. Writes `out/model.safetensors`,
 * `out/checkpoints/…` and `out/train-log.json`.
 */
export async function trainCharLM(
  cfg: CharTrainConfig,
  opts: { onEvent?: (e: TrainEvent) => void; resume?: boolean } = {},
): Promise<CharTrainRun> {
  if (cfg.steps === undefined && cfg.time === undefined) throw new KiokuError('give --steps or --time');
  const text = loadCorpus(cfg.data);
  const chars = Array.from(text);
  const resumePath = join(cfg.out, 'model.safetensors');
  let vocab: CharVocab;
  const ckpt = opts.resume ? (existsSync(resumePath) ? loadCheckpoint(resumePath) : null) : null;
  if (opts.resume && !ckpt) throw new KiokuError(`--resume: no checkpoint at ${resumePath}`);
  if (ckpt) {
    const c = ckpt.config as CharLMCheckpointConfig;
    if (c?.kind !== CHARLM_KIND)
      throw new KiokuError(`--resume: ${resumePath} is not a char language model checkpoint`);
    vocab = new CharVocab((ckpt.extra as { vocab: string[] }).vocab);
  } else vocab = CharVocab.fromText(chars);
  const { train, val } = splitTrainVal(chars, cfg.valFraction);
  const unknownInData = [...new Set(chars)].filter((c) => !vocab.has(c));
  if (unknownInData.length) {
    throw new KiokuError(
      `--resume: the data has ${unknownInData.length} characters the checkpoint's vocabulary lacks (different data?)`,
    );
  }
  const modelConfig = {
    vocabSize: vocab.size,
    cell: cfg.cell,
    hidden: cfg.hidden,
    layers: cfg.layers,
    embed: cfg.embed,
    dropout: cfg.dropout,
    seed: cfg.seed,
  };
  const model = new CharLM(modelConfig);
  const task = new CharLMTask(model, vocab.encode(train), vocab.encode(val), {
    batch: cfg.batch,
    seq: cfg.seq,
  });
  mkdirSync(cfg.out, { recursive: true });
  const config: CharLMCheckpointConfig = { kind: CHARLM_KIND, model: modelConfig, train: { ...cfg } };
  const trainer = new Trainer(
    task,
    {
      optimizer: cfg.optimizer,
      lr: cfg.lr,
      clip: cfg.clip,
      clipMode: cfg.clipMode,
      steps: cfg.steps,
      timeSeconds: cfg.time,
      schedule: cfg.decay < 1 ? { kind: 'step', stepSize: cfg.decayEvery, gamma: cfg.decay } : undefined,
      validateEvery: cfg.validateEvery,
      checkpointEvery: cfg.checkpointEvery,
      outDir: cfg.out,
    },
    { onEvent: opts.onEvent, checkpointMeta: () => ({ config, extra: { vocab: [...vocab.tokens] } }) },
  );
  if (ckpt) trainer.resume(ckpt);
  const result = await trainer.runAsync();
  writeFileAtomic(
    join(cfg.out, 'train-log.json'),
    new TextEncoder().encode(
      JSON.stringify(
        {
          config: cfg,
          vocabSize: vocab.size,
          parameters: model.numParameters(),
          result: { ...result, history: undefined },
          history: result.history,
        },
        null,
        1,
      ),
    ),
  );
  return { model, vocab, result, trainer, outDir: cfg.out, corpusChars: chars.length };
}
