// The backends the parity tests run on: the reference backend always, plus every other
// backend this build provides (so the PyTorch fixtures pass on each of them).
import { type Backend } from '../../src/tensor/backend.js';
import { setBackend } from '../../src/tensor/current-backend.js';
import { ReferenceBackend } from '../../src/tensor/reference.js';
import { createWasmBackend } from '../../src/tensor/wasm-backend.js';

export interface BackendUnderTest {
  name: string;
  use: () => Backend;
}

export function backendsUnderTest(): BackendUnderTest[] {
  const list: BackendUnderTest[] = [{ name: 'js', use: () => use(new ReferenceBackend()) }];
  // The WASM SIMD backend is part of every build (binaries committed in wasm/); Node 20+
  // always runs it, so its absence is a failure, not a skip.
  const wasm = createWasmBackend();
  if (wasm === null) throw new Error('the WASM backend did not load (run npm run build:wasm)');
  list.push({ name: 'wasm', use: () => use(wasm) });
  return list;
}

function use(b: Backend): Backend {
  setBackend(b);
  return b;
}
