/**
 * kioku — a TypeScript workbench for recurrent neural networks.
 *
 * This is the core entry (`kioku`): tensors and backends, layers, losses, optimizers,
 * in-memory safetensors/checkpoint codecs, vocabularies and batching. It imports no `node:`
 * module and none of the figure libraries or data sets, so it runs in Node, in bundlers and
 * in browsers alike. Node-only parts are separate entries: `kioku/node` (files),
 * `kioku/figures`, `kioku/handwriting`, `kioku/sequence`, `kioku/experiments`, `kioku/cli`.
 *
 * ```ts
 * import { LSTM, Linear, Tensor, softmaxCrossEntropy } from 'kioku';
 * ```
 *
 * @packageDocumentation
 */
import { registerDefaultBackend } from './tensor/current-backend.js';
import { createDefaultBackend } from './tensor/select.js';

// The fastest available backend (WASM SIMD where it runs), unless KIOKU_BACKEND=js|wasm says otherwise.
registerDefaultBackend(createDefaultBackend);

export { Tensor, allocFloat, expectShape, type DType, type FloatArray } from './tensor/tensor.js';
export { type Backend } from './tensor/backend.js';
export { getBackend, setBackend } from './tensor/current-backend.js';
export { keep, openScope, withScope, type MemoryScope, type ScopedMemory } from './tensor/scope.js';
export { ReferenceBackend } from './tensor/reference.js';
export {
  createBackend,
  createDefaultBackend,
  useBackend,
  preloadWasm,
  wasmUnavailableReason,
  type BackendName,
  type PreloadWasmOptions,
} from './tensor/select.js';
export type { WasmBackendOptions } from './tensor/wasm-backend.js';
export type { WasmFile, WasmSource } from './tensor/wasm-module.js';
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
  type RecordedSteps,
  type RecurrentState,
  type StateSlot,
  fromState,
  finalState,
} from './nn/recurrent.js';
export { LSTM, type LSTMOptions } from './nn/lstm.js';
export { GRU, type GRUOptions } from './nn/gru.js';
export { RNN, type RNNOptions } from './nn/rnn.js';
export {
  StepDecoder,
  pickToken,
  logSoftmaxRow,
  type SamplingRule,
  type StepDecoderOptions,
  type StepDecoderParts,
} from './nn/step-decoder.js';
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
  softmaxCrossEntropyLoss,
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
  type SafetensorsWriteOptions,
  type SafetensorsDType,
  type IntDType,
  type IntArray,
} from './io/safetensors.js';
export {
  encodeCheckpoint,
  decodeCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type CheckpointWriteOptions,
  type OptimizerState as CheckpointOptimizerState,
} from './io/checkpoint-codec.js';
export { floatToHalf, float32BitsToHalf, halfToFloat, bfloat16ToFloat } from './io/float16.js';
export * from './data/vocab.js';
export * from './data/text.js';
export * from './data/batching.js';
export * from './nn/attention.js';
export * from './nn/pooling.js';
export {
  Trainer,
  TrainingDivergedError,
  type TrainTask,
  type ClipMode,
  type TrainerOptions,
  type TrainEvent,
  type TrainerHooks,
  type HistoryRow,
  type TrainResult,
} from './train/trainer.js';
export type { RunStore } from './train/run-store.js';
// The plain-array types the exercise scaffolds (`kioku exercise start`) import by name.
export type { GateWeights, Matrix, Vector } from './wings/exercises/common.js';
