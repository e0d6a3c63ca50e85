// The kioku WASM kernels: one module, compiled twice (SIMD128, and relaxed-SIMD with fused
// multiply-add). All pointers are byte addresses into the imported (shared) memory, which
// the JS side manages; this module keeps no state of its own and allocates nothing.
export { sgemm, gemmWorkBytes, directMaxK, PATH_PACKED, PATH_DIRECT, PATH_DOT } from './gemm';

/** First byte the JS allocator may hand out (after this module's static data, if any). */
export function heapBase(): usize {
  return __heap_base;
}
export { lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward } from './cells';
export { addRowVector, sumRowsAccumulate } from './rows';
export { softmaxXent } from './xent';
export { decodeStep, sampleStep } from './sample';
export { adam, sgd, rmsprop, sumSquares, scale } from './optim';

/** Zero `bytes` bytes at `ptr` (bulk memory.fill: far faster than TypedArray.fill on a SharedArrayBuffer). */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}
export {
  memContentForward, memContentBackward, memInterpolateForward, memInterpolateBackward,
  memShiftForward, memShiftBackward, memSharpenForward, memSharpenBackward,
  memReadForward, memReadBackward, memWriteForward, memWriteBackward,
  memLinkForward, memLinkBackward, memLinkReadForward, memLinkReadBackward,
} from './memory';
