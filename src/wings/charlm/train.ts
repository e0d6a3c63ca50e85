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
import { CharVocab } from './vocab.js';
import { BUILTIN_CORPUS, loadCorpus, splitTrainVal } from './corpus.js';
import type { OptimizerKind } from '../../optim/factory.js';
import { CharLMTask } from './task.js';
import type { ClipMode, TrainEvent, Trainer, TrainResult } from '../../train/trainer.js';
import { KiokuError } from '../../util/errors.js';
import { CharLM } from './model.js';
import { CHARLM_KIND, type CharLMCheckpointConfig } from './io.js';
import { fileFingerprint, type FinishedRun, type RunFlags, runTraining } from '../../node/run-dir.js';

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
  finished: false;
  model: CharLM;
  vocab: CharVocab;
  result: TrainResult;
  trainer: Trainer;
  outDir: string;
  corpusChars: number;
}

export type { RunFlags } from '../../node/run-dir.js';

/** The run's settings as `--resume` compares them: the data file by size and hash. */
function charSettings(cfg: CharTrainConfig): Record<string, unknown> {
  return { ...cfg, data: cfg.data === BUILTIN_CORPUS ? cfg.data : fileFingerprint(cfg.data) };
}

/**
 * Train (or, with `resume`, continue) a char LM in the run directory `cfg.out`: writes
 * `out/model.safetensors`, `out/checkpoints/…` and `out/train-log.json`, with the run
 * directory's guarantees (see `runTraining`). A resumed run that already finished returns
 * `{ finished: true }` and writes nothing.
 */
export async function trainCharLM(
  cfg: CharTrainConfig,
  opts: RunFlags & { onEvent?: (e: TrainEvent) => void; log?: (m: string) => void } = {},
): Promise<CharTrainRun | FinishedRun> {
  if (cfg.steps === undefined && cfg.time === undefined) throw new KiokuError('give --steps or --time');
  const text = loadCorpus(cfg.data);
  const chars = Array.from(text);
  let model: CharLM | null = null;
  let vocab: CharVocab | null = null;
  const run = await runTraining({
    out: cfg.out,
    ...opts,
    settings: charSettings(cfg),
    onEvent: opts.onEvent,
    log: opts.log,
    build: (ckpt) => {
      let v: CharVocab;
      if (ckpt) {
        const c = ckpt.config as CharLMCheckpointConfig;
        if (c?.kind !== CHARLM_KIND)
          throw new KiokuError(`--resume: ${cfg.out} does not hold a char language model run`);
        v = new CharVocab((ckpt.extra as { vocab: string[] }).vocab);
      } else v = CharVocab.fromText(chars);
      const unknownInData = [...new Set(chars)].filter((c) => !v.has(c));
      if (unknownInData.length) {
        throw new KiokuError(
          `--resume: the data has ${unknownInData.length} characters the checkpoint's vocabulary lacks (different data?)`,
        );
      }
      const { train, val } = splitTrainVal(chars, cfg.valFraction);
      const modelConfig = {
        vocabSize: v.size,
        cell: cfg.cell,
        hidden: cfg.hidden,
        layers: cfg.layers,
        embed: cfg.embed,
        dropout: cfg.dropout,
        seed: cfg.seed,
      };
      const m = new CharLM(modelConfig);
      model = m;
      vocab = v;
      const task = new CharLMTask(m, v.encode(train), v.encode(val), { batch: cfg.batch, seq: cfg.seq });
      const config: CharLMCheckpointConfig = { kind: CHARLM_KIND, model: modelConfig, train: { ...cfg } };
      return {
        task,
        options: {
          optimizer: cfg.optimizer,
          lr: cfg.lr,
          clip: cfg.clip,
          clipMode: cfg.clipMode,
          steps: cfg.steps,
          timeSeconds: cfg.time,
          schedule: cfg.decay < 1 ? { kind: 'step', stepSize: cfg.decayEvery, gamma: cfg.decay } : undefined,
          validateEvery: cfg.validateEvery,
          checkpointEvery: cfg.checkpointEvery,
        },
        meta: () => ({ config, extra: { vocab: [...v.tokens] } }),
      };
    },
  });
  if (run.finished) return run;
  return {
    finished: false,
    model: model!,
    vocab: vocab!,
    result: run.result,
    trainer: run.trainer,
    outDir: cfg.out,
    corpusChars: chars.length,
  };
}
