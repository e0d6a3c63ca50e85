/**
 * `kioku/node`: the core API plus files — atomic writes, safetensors files and training
 * checkpoints on disk. Node only.
 *
 * ```ts
 * import { LSTM, saveSafetensors, packParameters } from 'kioku/node';
 * ```
 *
 * @module
 */
export * from '../index.node.js';
export { writeFileAtomic, type AtomicWriteOptions } from '../node/atomic.js';
export { saveSafetensors, loadSafetensors } from '../node/safetensors-file.js';
export { saveCheckpoint, loadCheckpoint } from '../node/checkpoint-file.js';
export { RunDir } from '../node/run-dir.js';
export { enableRelaxedSimd } from '../node/relaxed-simd.js';
