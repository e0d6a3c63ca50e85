import { readFileSync } from 'node:fs';
import { KiokuError } from '../util/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type IntTensor,
  type SafetensorsContents,
} from '../io/safetensors.js';

/**
 * Save tensors as a `.safetensors` file, atomically (see `writeFileAtomic`). A model's
 * `stateDict()` saved this way loads in PyTorch with
 * `module.load_state_dict(safetensors.torch.load_file(path))`.
 *
 * ```ts
 * saveSafetensors('lstm.safetensors', lstm.stateDict(), { hidden_size: '64' });
 * ```
 */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor | IntTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Load a `.safetensors` file (e.g. a PyTorch `state_dict()`), validating it strictly; errors
 * name the file. Float tensors are in `tensors` (F16/BF16 widened to float32), integer ones
 * in `ints`, the header's `__metadata__` in `metadata`.
 *
 * ```ts
 * const { tensors } = loadSafetensors('lstm.safetensors');
 * lstm.loadStateDict(tensors);
 * ```
 */
export function loadSafetensors(path: string): SafetensorsContents {
  return decodeSafetensors(readBytes('loadSafetensors', path), { context: `loadSafetensors: ${path}` });
}

/** Read a whole file, turning file-system errors into a `KiokuError` naming the file. */
export function readBytes(where: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason =
      err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new KiokuError(`${where}: ${path}: ${reason}`);
  }
}
