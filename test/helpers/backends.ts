// The backends the parity tests run on: the reference backend always, plus every other
// backend this build provides (so the PyTorch fixtures pass on each of them).
import { type Backend, setBackend } from '../../src/tensor/backend.js';
import { ReferenceBackend } from '../../src/tensor/reference.js';

export interface BackendUnderTest {
  name: string;
  use: () => Backend;
}

export function backendsUnderTest(): BackendUnderTest[] {
  const list: BackendUnderTest[] = [{ name: 'js', use: () => use(new ReferenceBackend()) }];
  return list;
}

function use(b: Backend): Backend {
  setBackend(b);
  return b;
}
