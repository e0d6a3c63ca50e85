import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../node/checkpoint-file.js';
import type { Tensor } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';
import { checkTaskTag, type SequenceTask, type TaskModelFile } from './task-codec.js';

export type { SequenceTask, TaskModelFile } from './task-codec.js';

/**
 * Save a task model (weights, config with `task`, extra such as the vocabulary or the
 * normalisation) as one kioku checkpoint, atomically (a crash never leaves a half file).
 */
export function saveTaskModel<C extends object>(
  path: string,
  task: SequenceTask,
  config: C,
  model: Record<string, Tensor>,
  extra: Record<string, unknown>,
  step: number,
): void {
  // The folder may not exist yet (a default --out on a fresh clone): writeFileAtomic creates it.
  saveCheckpoint(path, { config: { ...config, task }, model, step, extra });
}

/** The model file of a training run's directory (its latest checkpoint; see `src/node/run-dir.ts`). */
export const RUN_MODEL_FILE = 'model.safetensors';

/** A model file, or the model file of the run directory `where`. */
export function resolveRunModel(where: string): string {
  return existsSync(where) && statSync(where).isDirectory() ? join(where, RUN_MODEL_FILE) : where;
}

/**
 * Load a model saved by `saveTaskModel` or by a training run (`path` may be the run
 * directory), refusing a missing file, a corrupt or foreign file (from `loadCheckpoint`)
 * and a model trained for another task.
 */
export function loadTaskModel<C>(where: string, task: SequenceTask): TaskModelFile<C> {
  const path = resolveRunModel(where);
  if (!existsSync(path))
    throw new KiokuError(`model file not found: ${path} (train one with 'kioku ${task} train')`);
  const ckpt = loadCheckpoint(path);
  checkTaskTag(ckpt.config, task, path);
  const extra = (ckpt.extra ?? {}) as Record<string, unknown>;
  return { config: ckpt.config as C & { task: SequenceTask }, model: ckpt.model, extra, step: ckpt.step };
}

export { yieldToEventLoop } from '../util/event-loop.js';
