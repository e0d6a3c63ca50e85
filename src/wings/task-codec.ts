/**
 * Sequence-task model files over bytes (no file system, so a page can load them too): a kioku
 * checkpoint whose config carries the task it was trained for. `taskfile.ts` adds reading and
 * writing files in Node.
 *
 * ```ts
 * const f = decodeTaskModel(bytes, 'models/g2p/model.safetensors', 'seq2seq');
 * f.config.task; // 'seq2seq'; f.model: the weights, f.extra: vocabularies, scores, …
 * ```
 */
import { decodeCheckpoint } from '../io/checkpoint-codec.js';
import type { Tensor } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';
import { isRecord } from '../util/json.js';

/** The sequence tasks whose models are saved as kioku checkpoints with a task tag. */
export type SequenceTask = 'sentiment' | 'forecast' | 'seq2seq' | 'word2vec';

export interface TaskModelFile<C> {
  config: C & { task: SequenceTask };
  model: Record<string, Tensor>;
  extra: Record<string, unknown>;
  step: number;
}

/** Refuse a checkpoint config that is not `task`'s ("<name> is a forecast model, not a sentiment model"). */
export function checkTaskTag(config: unknown, task: SequenceTask, name: string): void {
  const got = isRecord(config) ? config.task : undefined;
  if (got === task) return;
  const what =
    typeof got === 'string' ? `a ${got} model` : 'not a sequence-task model (no task in its config)';
  throw new KiokuError(`${name} is ${what}, not a ${task} model`);
}

/**
 * Decode a task model file's bytes (F32 or F16 weights), refusing bytes that are not a kioku
 * checkpoint (with the reason) and a model of another task; `name` is quoted in every error.
 */
export function decodeTaskModel<C>(bytes: Uint8Array, name: string, task: SequenceTask): TaskModelFile<C> {
  const ckpt = decodeCheckpoint(bytes, { context: name });
  checkTaskTag(ckpt.config, task, name);
  return {
    config: ckpt.config as C & { task: SequenceTask },
    model: ckpt.model,
    extra: isRecord(ckpt.extra) ? ckpt.extra : {},
    step: ckpt.step,
  };
}
