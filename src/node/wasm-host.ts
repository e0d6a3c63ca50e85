/**
 * Hands Node's file reading and worker threads to the WASM backend through static imports,
 * so that it loads on every Node 20 (not only those with `process.getBuiltinModule`).
 * Imported for its effect by the package's Node entry (`src/index.node.ts`), `kioku/node`
 * and the CLI.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { setNodeHost } from '../tensor/host.js';

setNodeHost({ readFile: (url) => new Uint8Array(readFileSync(url)), Worker });
