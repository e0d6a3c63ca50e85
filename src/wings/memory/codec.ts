/**
 * A memory-wing checkpoint from bytes (browser-safe: no file system): the config that
 * records the model and task settings, and the model rebuilt with its trained weights.
 * `run.ts` reads files through it; the lab's worker decodes fetched bytes with it.
 *
 * ```ts
 * const { model, task } = memoryRunFromBytes(bytes, 'models/memory/ntm-copy.safetensors');
 * ```
 */
import { type Checkpoint, decodeCheckpoint } from '../../io/checkpoint-codec.js';
import { KiokuError } from '../../util/errors.js';
import { buildMemoryModel, type MemoryModel, type MemoryModelConfig } from './model.js';
import { makeTask, type MemoryTask, type TaskName } from './tasks.js';

/** Marks a memory-wing checkpoint (its `config.kind`). */
export const MEMORY_KIND = 'kioku-memory';

export interface MemoryCheckpointConfig {
  kind: typeof MEMORY_KIND;
  model: MemoryModelConfig;
  task: { name: TaskName; bits?: number; minLength?: number; maxLength?: number };
  train: { batchSize: number; lr: number; clip: number; seed: number };
}

/** The task a checkpoint's config describes. */
export function taskFromConfig(t: MemoryCheckpointConfig['task']): MemoryTask {
  return makeTask(t.name, { bits: t.bits, minLength: t.minLength, maxLength: t.maxLength });
}

export function isMemoryConfig(c: unknown): c is MemoryCheckpointConfig {
  return typeof c === 'object' && c !== null && (c as { kind?: unknown }).kind === MEMORY_KIND;
}

/** A trained model and its task, rebuilt from a decoded checkpoint; `name` is quoted in errors. */
export interface LoadedMemoryRun {
  model: MemoryModel;
  task: MemoryTask;
  config: MemoryCheckpointConfig;
  step: number;
}

export function memoryRunFromCheckpoint(ckpt: Checkpoint, name: string): LoadedMemoryRun {
  if (!isMemoryConfig(ckpt.config)) {
    throw new KiokuError(`${name}: not a kioku memory checkpoint (config.kind must be ${MEMORY_KIND})`);
  }
  const config = ckpt.config;
  const model = buildMemoryModel(config.model);
  model.loadStateDict(ckpt.model);
  return { model, task: taskFromConfig(config.task), config, step: ckpt.step };
}

/** Decode a memory checkpoint's bytes (a fetched `models/memory/*.safetensors`). */
export function memoryRunFromBytes(bytes: Uint8Array, name: string): LoadedMemoryRun {
  return memoryRunFromCheckpoint(decodeCheckpoint(bytes, { context: name }), name);
}
