/**
 * The two things the WASM backend needs from Node when it runs there: reading its `.wasm`
 * file synchronously and starting worker threads. The core never imports a `node:` module,
 * so it gets them either from the package's Node entry (`kioku` under the `node` export
 * condition calls `setNodeHost` with static imports — every Node 20 and later) or, when
 * the core is loaded some other way, from `process.getBuiltinModule` (Node ≥ 20.16).
 * Browsers have neither and use `preloadWasm` and Web Workers instead.
 */

/** A Node worker thread, as far as the thread pool uses it. */
export interface HostWorker {
  unref?(): void;
  terminate(): unknown;
}

/** Node's worker_threads.Worker constructor, as far as the thread pool uses it. */
export type HostWorkerConstructor = new (
  src: string,
  opts: { eval: boolean; workerData: unknown; execArgv: string[] },
) => HostWorker;

/** What the WASM backend uses of Node. */
export interface NodeHost {
  /** The bytes of a local file. */
  readFile(url: URL): Uint8Array<ArrayBuffer>;
  Worker: HostWorkerConstructor;
}

interface NodeFsLike {
  readFileSync(path: URL): Uint8Array;
}
interface WorkerThreadsLike {
  Worker: HostWorkerConstructor;
}
interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

let host: NodeHost | null = null;

/** Whether this is Node (or a runtime that says it is). */
export function runsInNode(): boolean {
  return typeof (globalThis as { process?: NodeProcess }).process?.versions?.node === 'string';
}

/** Called once by the Node entry (`src/node/wasm-host.ts`) with Node's own modules. */
export function setNodeHost(h: NodeHost): void {
  host = h;
}

/** Node's file reading and worker threads, or null outside Node (and on Node < 20.16 without the Node entry). */
export function nodeHost(): NodeHost | null {
  if (host !== null) return host;
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (!runsInNode() || typeof proc?.getBuiltinModule !== 'function') return null;
  const fs = proc.getBuiltinModule('node:fs') as NodeFsLike;
  const wt = proc.getBuiltinModule('node:worker_threads') as WorkerThreadsLike;
  host = { readFile: (url) => new Uint8Array(fs.readFileSync(url)), Worker: wt.Worker };
  return host;
}
