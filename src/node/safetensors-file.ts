import { KiokuError } from '../util/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { readFileBounded } from './files.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type IntTensor,
  type SafetensorsContents,
  type SafetensorsWriteOptions,
} from '../io/safetensors.js';

/**
 * Save tensors as a `.safetensors` file, atomically (see `writeFileAtomic`). A model's
 * `stateDict()` saved this way loads in PyTorch with
 * `module.load_state_dict(safetensors.torch.load_file(path))`.
 *
 * ```ts
 * saveSafetensors('lstm.safetensors', lstm.stateDict(), { hidden_size: '64' });
 * saveSafetensors('lstm-f16.safetensors', lstm.stateDict(), {}, { float16: true }); // half the size
 * ```
 */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor | IntTensor>,
  metadata?: Record<string, string>,
  opts: SafetensorsWriteOptions = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata, opts));
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

/**
 * Read a whole model or checkpoint file through `readFileBounded` (regular files only,
 * size-capped); errors are `<where>: cannot read <path>: <reason>`.
 */
export function readBytes(where: string, path: string): Uint8Array {
  try {
    return readFileBounded(path);
  } catch (e) {
    if (e instanceof KiokuError) throw new KiokuError(`${where}: ${e.message}`);
    throw e;
  }
}
