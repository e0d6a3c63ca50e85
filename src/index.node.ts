/**
 * The `kioku` entry under Node (the `node` export condition): the same API as the core entry,
 * plus Node's file reading and worker threads handed to the WASM backend through static
 * imports, so the WASM kernels load on every Node 20 (not only ≥ 20.16, which has
 * `process.getBuiltinModule`).
 */
import './node/wasm-host.js';

export * from './index.js';
