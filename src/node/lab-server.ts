/**
 * The lab's local web server (`kioku lab`): serves the built lab (dist/lab, made by
 * `npm run build:lab`) with the headers that make the page cross-origin isolated —
 * COOP `same-origin` and COEP `require-corp` — so `SharedArrayBuffer` exists and the WASM
 * backend runs on several threads. It also lists the character models under `runs/`
 * (`GET /api/models`) and serves their `model.safetensors`, so a model trained with
 * `kioku train char` can be opened in the page. The shipped models the page loads
 * (`/models/…`) come from the package's `models/` folder — the same files the command line
 * loads — so the npm package carries each model once (its dist/lab leaves out the copy that
 * the build puts in dist/lab/models/ for static hosting). Binds 127.0.0.1 unless told
 * otherwise.
 *
 * ```ts
 * const lab = await startLabServer({ port: 0 });
 * console.log(lab.url); // http://127.0.0.1:54321/
 * await lab.close();
 * ```
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KiokuError } from '../util/errors.js';

export interface LabServerOptions {
  /** TCP port; 0 picks a free one. Default 5178. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Folder holding the built lab. Default: the package's dist/lab. */
  root?: string;
  /** Folder searched for trained models (`<runs>/<name>/model.safetensors`). Default ./runs. */
  runs?: string;
  /** Folder of the shipped models, served as `/models/…`. Default: the package's models/. */
  models?: string;
}

export interface LabServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/** Headers that make the page cross-origin isolated (WASM threads need SharedArrayBuffer). */
export const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The package's built lab folder. */
export function defaultLabRoot(): string {
  return fileURLToPath(new URL('../../dist/lab/', import.meta.url));
}

/** The package's shipped models (models/: handwriting, lab, memory, sentiment …). */
export function defaultModelsRoot(): string {
  return fileURLToPath(new URL('../../models/', import.meta.url));
}

/** Trained models under `runs`: every `<runs>/<name>/model.safetensors`, by name. */
export function listRunModels(runs: string): { name: string; bytes: number }[] {
  if (!existsSync(runs) || !statSync(runs).isDirectory()) return [];
  const out: { name: string; bytes: number }[] = [];
  for (const name of readdirSync(runs).sort()) {
    const f = join(runs, name, 'model.safetensors');
    if (existsSync(f)) out.push({ name, bytes: statSync(f).size });
  }
  return out;
}

/** Resolve a URL path under `root`, refusing anything that escapes it. */
function inside(root: string, urlPath: string): string | null {
  const p = resolve(root, '.' + normalize(decodeURIComponent(urlPath)));
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep) ? p : null;
}

/** Start the lab's server; resolves once it listens. */
export async function startLabServer(opts: LabServerOptions = {}): Promise<LabServer> {
  const root = resolve(opts.root ?? defaultLabRoot());
  const runs = resolve(opts.runs ?? 'runs');
  const models = resolve(opts.models ?? defaultModelsRoot());
  if (!existsSync(join(root, 'index.html'))) {
    throw new KiokuError(
      `the lab is not built: ${join(root, 'index.html')} is missing (run \`npm run build:lab\`)`,
    );
  }
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 5178;
  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { 'Content-Type': type, ...ISOLATION_HEADERS });
    res.end(body);
  };
  const sendFile = (req: IncomingMessage, res: ServerResponse, file: string): void => {
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
      ...ISOLATION_HEADERS,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
      return;
    }
    if (url.pathname === '/api/models') {
      send(res, 200, TYPES['.json'], JSON.stringify({ models: listRunModels(runs) }));
      return;
    }
    const m = /^\/runs\/([^/]+)\/model\.safetensors$/.exec(url.pathname);
    if (m) {
      const file = inside(runs, `/${m[1]}/model.safetensors`);
      if (file && existsSync(file)) sendFile(req, res, file);
      else send(res, 404, 'text/plain; charset=utf-8', `no model ${m[1]} under ${runs}`);
      return;
    }
    if (url.pathname.startsWith('/models/')) {
      const file = inside(models, url.pathname.slice('/models'.length));
      if (file && existsSync(file) && statSync(file).isFile()) sendFile(req, res, file);
      else send(res, 404, 'text/plain; charset=utf-8', `not found: ${url.pathname}`);
      return;
    }
    let file = inside(root, url.pathname);
    if (file && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file || !existsSync(file)) {
      send(res, 404, 'text/plain; charset=utf-8', `not found: ${url.pathname}`);
      return;
    }
    sendFile(req, res, file);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? new KiokuError(`port ${port} on ${host} is in use (choose another with --port)`)
          : e,
      ),
    );
    server.listen(port, host, () => ok());
  });
  const actual = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${actual}/`,
    port: actual,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
