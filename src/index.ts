/**
 * kioku — a TypeScript workbench for recurrent neural networks.
 *
 * ```ts
 * import { LSTM, Linear, Tensor, softmaxCrossEntropy } from 'kioku';
 * ```
 */
import { registerDefaultBackend } from './tensor/current-backend.js';
import { createDefaultBackend } from './tensor/select.js';

// The fastest available backend (WASM SIMD where it runs), unless KIOKU_BACKEND=js|wasm says otherwise.
registerDefaultBackend(createDefaultBackend);

export { Tensor, allocFloat, expectShape, type DType, type FloatArray } from './tensor/tensor.js';
export { type Backend } from './tensor/backend.js';
export { getBackend, setBackend } from './tensor/current-backend.js';
export { ReferenceBackend } from './tensor/reference.js';
export { createBackend, createDefaultBackend, useBackend, preloadWasm, type BackendName } from './tensor/select.js';
export { KiokuError } from './util/errors.js';
export { Rng, type RngState } from './util/rng.js';
export {
  Module,
  Parameter,
  packParameters,
  type NamedParameter,
  type PackedParameters,
} from './nn/module.js';
export * as init from './nn/init.js';
export { Linear, type LinearOptions } from './nn/linear.js';
export { Embedding, type EmbeddingOptions } from './nn/embedding.js';
export { Dropout } from './nn/dropout.js';
export {
  RecurrentBase,
  type RecurrentOptions,
  type RecurrentForwardOptions,
  type RecurrentForwardResult,
  type RecurrentBackwardOptions,
  type RecurrentBackwardResult,
  type RecurrentState,
  type StateSlot,
  fromState,
  finalState,
} from './nn/recurrent.js';
export { LSTM, type LSTMOptions } from './nn/lstm.js';
export { GRU, type GRUOptions } from './nn/gru.js';
export { RNN, type RNNOptions } from './nn/rnn.js';
export {
  registerCell,
  unregisterCell,
  cellNames,
  cellSpec,
  cellDefaults,
  createCell,
  recurrentParameterCount,
  type CellSpec,
  type CellOptions,
  type CellExtras,
} from './nn/cells.js';
export {
  softmaxCrossEntropy,
  mseLoss,
  bceWithLogits,
  type LossResult,
  type CrossEntropyOptions,
} from './nn/losses.js';
export * from './optim/index.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  IntTensor,
  MAX_HEADER_BYTES,
  type SafetensorsContents,
  type SafetensorsDType,
  type IntDType,
  type IntArray,
} from './io/safetensors.js';
export { saveSafetensors, loadSafetensors } from './node/safetensors-file.js';
export { writeFileAtomic, type AtomicWriteOptions } from './node/atomic.js';
export {
  encodeCheckpoint,
  decodeCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type OptimizerState as CheckpointOptimizerState,
} from './io/checkpoint-codec.js';
export { saveCheckpoint, loadCheckpoint } from './node/checkpoint-file.js';
export * as handwriting from './wings/handwriting/index.js';
export * as experiments from './wings/experiments/index.js';
export * as sequence from './wings/sequence-tasks.js';
