import { writeFileAtomic } from './atomic.js';
import {
  type Checkpoint,
  type CheckpointWriteOptions,
  decodeCheckpoint,
  encodeCheckpoint,
} from '../io/checkpoint-codec.js';
import { readBytes } from './safetensors-file.js';

export type { Checkpoint, CheckpointWriteOptions, OptimizerState } from '../io/checkpoint-codec.js';

/**
 * Save a checkpoint (weights, optimizer state, step, rng, config, extra) as one safetensors
 * file, atomically: a crash mid-save leaves the previous checkpoint intact.
 * See `checkpoint_codec.ts` for the layout. Given several paths, writes the same bytes (encoded
 * once) to each, in order.
 *
 * ```ts
 * saveCheckpoint('runs/char-lm/ckpt.safetensors', {
 *   config,                       // the run's typed config
 *   model: model.stateDict(),
 *   optimizer: adam.state(),      // { kind, step, lr, options, buffers }
 *   step,
 *   rng: rng.getState(),
 *   extra: { vocab: vocab.tokens, epoch, batchIndex },
 * });
 * // weights only, as float16, for shipping (loads back as float32 everywhere)
 * saveCheckpoint('models/char-lm.safetensors', { config, model: model.stateDict(), step }, { float16: true });
 * ```
 */
export function saveCheckpoint(
  path: string | readonly string[],
  ckpt: Checkpoint,
  opts: CheckpointWriteOptions = {},
): void {
  // Several paths (a run's named checkpoint and its latest model) get the same bytes, encoded once.
  const bytes = encodeCheckpoint(ckpt, opts);
  for (const p of typeof path === 'string' ? [path] : path) writeFileAtomic(p, bytes);
}

/**
 * Load a checkpoint saved by `saveCheckpoint`. Errors name the file and say what is wrong:
 * not safetensors (and why), "foreign file: no kioku-checkpoint metadata", an unsupported
 * version, "truncated: header says N bytes of data, file has M", malformed fields.
 *
 * ```ts
 * const ckpt = loadCheckpoint('runs/char-lm/ckpt.safetensors');
 * model.loadStateDict(ckpt.model);
 * if (ckpt.optimizer) adam.loadState(ckpt.optimizer);
 * if (ckpt.rng) rng.setState(ckpt.rng);
 * ```
 */
export function loadCheckpoint(path: string): Checkpoint {
  return decodeCheckpoint(readBytes('loadCheckpoint', path), { context: `loadCheckpoint: ${path}` });
}
