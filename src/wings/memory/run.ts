/**
 * One `kioku memory train` run: build the task and the model, hand them to the shared
 * `Trainer` (optimizer, clipping, checkpoints in a `RunDir`, resume, divergence guard), and
 * load a trained model back from its checkpoint. The checkpoint's config records the
 * model and task settings so `kioku memory report` can rebuild both.
 *
 * ```ts
 * const run = await trainMemory({ model: 'ntm', task: 'copy', out: 'runs/memory/ntm-copy' });
 * const inMemory = createMemoryRun({ model: 'dnc', task: 'recall', steps: 100 }).trainer.run();
 * const { model, task } = loadMemoryRun('runs/memory/ntm-copy/model.safetensors');
 * ```
 */
import { statSync } from 'node:fs';
import { loadCheckpoint, saveCheckpoint } from '../../node/checkpoint-file.js';
import { type FinishedRun, type RunFlags, runTraining } from '../../node/run-dir.js';
import {
  type HistoryRow,
  type TrainEvent,
  Trainer,
  type TrainerOptions,
  type TrainResult,
} from '../../train/trainer.js';
import { KiokuError } from '../../util/errors.js';
import { resolveRunModel } from '../taskfile.js';
import {
  buildMemoryModel,
  type MemoryModel,
  type MemoryModelConfig,
  type ModelKind,
  resolveModelConfig,
} from './model.js';
import {
  isMemoryConfig,
  type LoadedMemoryRun,
  MEMORY_KIND,
  type MemoryCheckpointConfig,
  memoryRunFromCheckpoint,
  taskFromConfig,
} from './codec.js';
import { type MemoryTask, TASK_NAMES, type TaskName } from './tasks.js';
import { MemoryTrainTask } from './train.js';

export { MEMORY_KIND, type MemoryCheckpointConfig } from './codec.js';

export interface MemoryRunOptions {
  model: ModelKind;
  task: TaskName;
  steps?: number;
  timeSeconds?: number;
  batchSize?: number;
  lr?: number;
  clip?: number;
  seed?: number;
  /** Task size overrides (bits / nodes and the training length range). */
  bits?: number;
  minLength?: number;
  maxLength?: number;
  /** Model size overrides (defaults: the paper's copy NTM; DNC 64 units, 32 × 16 memory, 2 reads). */
  hiddenSize?: number;
  memorySlots?: number;
  memoryWidth?: number;
  readHeads?: number;
  /** NTM: initial weighting focused on slot 0 by this much (0: Collier & Beel's near-uniform start). */
  initFocus?: number;
  /** LSTM baseline: match this parameter count (default: the NTM of the same task). */
  matchParameters?: number;
  validateEvery?: number;
  checkpointEvery?: number;
  onEvent?: (e: TrainEvent) => void;
}

/** DNC defaults (smaller than the NTM's: its link matrix is N × N). */
const DNC_DEFAULTS = { hiddenSize: 64, memorySlots: 32, memoryWidth: 16, readHeads: 2 };

/** The parameter count of the NTM for a task (what the LSTM baseline is matched to). */
export function ntmParameterCount(
  task: MemoryTask,
  o: Pick<MemoryRunOptions, 'hiddenSize' | 'memorySlots' | 'memoryWidth' | 'readHeads'> = {},
): number {
  return buildMemoryModel({
    model: 'ntm',
    inputSize: task.inputSize,
    outputSize: task.outputSize,
    ...o,
  }).numParameters();
}

/** The pieces of a run: model, task, the TrainTask and the Trainer options (no store). */
export function memoryRunParts(o: MemoryRunOptions): {
  model: MemoryModel;
  task: MemoryTask;
  config: MemoryCheckpointConfig;
  trainTask: MemoryTrainTask;
  options: Omit<TrainerOptions, 'store'>;
} {
  if (!TASK_NAMES.includes(o.task)) {
    throw new KiokuError(
      `memory train: --task must be one of ${TASK_NAMES.join(', ')}, got ${JSON.stringify(o.task)}`,
    );
  }
  const taskConfig = { name: o.task, bits: o.bits, minLength: o.minLength, maxLength: o.maxLength };
  const task = taskFromConfig(taskConfig);
  const sizes = {
    hiddenSize: o.hiddenSize,
    memorySlots: o.memorySlots,
    memoryWidth: o.memoryWidth,
    readHeads: o.readHeads,
  };
  const ntmOnly = o.model === 'ntm' && o.initFocus !== undefined ? { initFocus: o.initFocus } : {};
  const defined = Object.fromEntries(Object.entries(sizes).filter(([, v]) => v !== undefined));
  const modelConfig: MemoryModelConfig = resolveModelConfig({
    model: o.model,
    inputSize: task.inputSize,
    outputSize: task.outputSize,
    ...(o.model === 'dnc' ? DNC_DEFAULTS : {}),
    ...(o.model === 'lstm' ? {} : defined),
    ...ntmOnly,
    ...(o.model === 'lstm' && o.hiddenSize !== undefined ? { hiddenSize: o.hiddenSize } : {}),
    ...(o.model === 'lstm' && o.hiddenSize === undefined
      ? { hiddenSize: undefined, matchParameters: o.matchParameters ?? ntmParameterCount(task, defined) }
      : {}),
    seed: o.seed ?? 0,
  });
  const model = buildMemoryModel(modelConfig);
  const train = { batchSize: o.batchSize ?? 16, lr: o.lr ?? 1e-3, clip: o.clip ?? 10, seed: o.seed ?? 0 };
  const config: MemoryCheckpointConfig = { kind: MEMORY_KIND, model: modelConfig, task: taskConfig, train };
  const trainTask = new MemoryTrainTask(model, task, { batchSize: train.batchSize, seed: train.seed });
  const options: Omit<TrainerOptions, 'store'> = {
    optimizer: 'adam',
    lr: train.lr,
    clip: train.clip,
    steps: o.steps ?? (o.timeSeconds === undefined ? 2000 : undefined),
    timeSeconds: o.timeSeconds,
    validateEvery: o.validateEvery ?? 100,
    checkpointEvery: o.checkpointEvery ?? 500,
    // Losses are per scored bit; the first batches sit near ln 2, so a 3× rise is real divergence.
    explodeFactor: 3,
  };
  return { model, task, config, trainTask, options };
}

/** A run in memory (library use, tests): the Trainer without a run directory. */
export function createMemoryRun(o: MemoryRunOptions): {
  trainer: Trainer;
  model: MemoryModel;
  task: MemoryTask;
  config: MemoryCheckpointConfig;
} {
  const p = memoryRunParts(o);
  const trainer = new Trainer(p.trainTask, p.options, {
    onEvent: o.onEvent,
    checkpointMeta: () => ({ config: p.config }),
  });
  return { trainer, model: p.model, task: p.task, config: p.config };
}

/**
 * `kioku memory train`: a run directory with every guarantee of `runTraining` (lock, refusal
 * to overwrite, exact `--resume` with the settings checked, Ctrl-C checkpoint, train-log.json).
 */
export async function trainMemory(
  o: MemoryRunOptions & RunFlags & { out: string; log?: (m: string) => void },
): Promise<
  | FinishedRun
  | {
      finished: false;
      model: MemoryModel;
      task: MemoryTask;
      config: MemoryCheckpointConfig;
      result: TrainResult;
    }
> {
  const settings: Record<string, unknown> = {
    model: o.model,
    task: o.task,
    steps: o.steps,
    time: o.timeSeconds,
    batchSize: o.batchSize,
    lr: o.lr,
    clip: o.clip,
    seed: o.seed,
    bits: o.bits,
    minLength: o.minLength,
    maxLength: o.maxLength,
    hiddenSize: o.hiddenSize,
    memorySlots: o.memorySlots,
    memoryWidth: o.memoryWidth,
    readHeads: o.readHeads,
    initFocus: o.initFocus,
  };
  let parts: ReturnType<typeof memoryRunParts> | null = null;
  const r = await runTraining({
    out: o.out,
    resume: o.resume,
    overwrite: o.overwrite,
    allowChange: o.allowChange,
    settings,
    onEvent: o.onEvent,
    log: o.log,
    build: () => {
      const p = memoryRunParts(o);
      parts = p;
      return { task: p.trainTask, options: p.options, meta: () => ({ config: p.config }) };
    },
  });
  if (r.finished) return r;
  const p = parts as ReturnType<typeof memoryRunParts> | null;
  if (!p) throw new KiokuError('memory train: the run was not built');
  return { finished: false, model: p.model, task: p.task, config: p.config, result: r.result };
}

/** Rebuild the model (with its trained weights) and its task from a checkpoint file. */
export function loadMemoryRun(path: string): LoadedMemoryRun {
  return memoryRunFromCheckpoint(loadCheckpoint(path), path);
}

/**
 * Write a shippable copy of a trained checkpoint: weights, config and the learning curve
 * averaged down to at most `curvePoints` rows, without optimizer state or the training
 * position (a few hundred KB for the paper's NTM). It loads with `loadMemoryRun` but cannot
 * be resumed.
 */
export function exportMemoryModel(
  src: string,
  dst: string,
  curvePoints = 400,
): { bytes: number; step: number } {
  const ckpt = loadCheckpoint(resolveRunModel(src));
  if (!isMemoryConfig(ckpt.config))
    throw new KiokuError(`${src}: not a kioku memory checkpoint (config.kind must be ${MEMORY_KIND})`);
  const history = ((ckpt.extra ?? {}) as { history?: HistoryRow[] }).history ?? [];
  const every = Math.max(1, Math.ceil(history.length / curvePoints));
  const curve: HistoryRow[] = [];
  for (let i = 0; i < history.length; i += every) {
    const win = history.slice(i, i + every);
    const last = win[win.length - 1];
    const vals = win.filter((r) => r.valLoss !== undefined);
    curve.push({
      step: last.step,
      loss: win.reduce((s, r) => s + r.loss, 0) / win.length,
      lr: last.lr,
      gradNorm: win.reduce((s, r) => s + r.gradNorm, 0) / win.length,
      ...(vals.length ? { valLoss: vals[vals.length - 1].valLoss } : {}),
    });
  }
  saveCheckpoint(dst, { config: ckpt.config, model: ckpt.model, step: ckpt.step, extra: { history: curve } });
  return { bytes: statSync(dst).size, step: ckpt.step };
}
