/**
 * The benchmark in a browser (`npm run bench -- --browser`): kioku's training step in headless
 * Chromium (Debian's /usr/bin/chromium driven by playwright-core; no browser is downloaded)
 * next to the same measurement in Node, and next to TensorFlow.js in the same page — its cpu
 * and wasm backends — where `npm install --no-save @tensorflow/tfjs @tensorflow/tfjs-backend-wasm`
 * put it (skipped with a note otherwise).
 *
 * The page (`bench/browser-page.ts`) is bundled with esbuild and served, cross-origin
 * isolated, by the lab's server from a temporary folder with the WASM binaries beside it.
 * Every measurement gets a fresh browser context (a fresh page and JS heap); the sides take
 * turns (Node, page, TF.js cpu, TF.js wasm, …) `repeat` times and the fastest of each is kept.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { startLabServer } from '../src/node/lab-server.js';
import { CHROMIUM, launchChromium } from '../test/helpers/chromium.js';
import type { BenchConfig } from './configs.js';

type Json = Record<string, unknown>;

export interface BrowserBenchOptions {
  root: string;
  configs: BenchConfig[];
  seconds: number;
  repeat: number;
  /** TF.js needs seconds per step: only on S, M and G unless `long`. */
  long: boolean;
  /** kioku's Node measurement of a configuration at one thread (bench/child.ts). */
  nodeRun: (cfg: BenchConfig) => Json;
}

export interface BrowserRow {
  name: string;
  label: string;
  node: Json;
  page: Json;
  'tfjs-cpu': Json;
  'tfjs-wasm': Json;
}

/** The page's bundle, the kernels and (when installed) TF.js in a folder the lab server serves. */
async function preparePage(root: string): Promise<{ dir: string; tfjs: string | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-browser-bench-'));
  await build({
    absWorkingDir: root,
    entryPoints: ['bench/browser-page.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(dir, 'app.js'),
    logLevel: 'silent',
  });
  mkdirSync(join(dir, 'wasm'));
  for (const f of readdirSync(join(root, 'wasm')))
    if (f.endsWith('.wasm')) copyFileSync(join(root, 'wasm', f), join(dir, 'wasm', f));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>',
  );
  let tfjs: string | null = null;
  const pkg = (name: string): string => join(root, 'node_modules', name);
  if (existsSync(join(pkg('@tensorflow/tfjs'), 'package.json'))) {
    // TF.js as one module; its wasm backend's binaries served from /tfjs-wasm/.
    const withWasm = existsSync(join(pkg('@tensorflow/tfjs-backend-wasm'), 'package.json'));
    const contents = withWasm
      ? "export * from '@tensorflow/tfjs';\nimport { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';\nsetWasmPaths('/tfjs-wasm/');\n"
      : "export * from '@tensorflow/tfjs';\n";
    await build({
      stdin: { contents, resolveDir: root, sourcefile: 'tfjs-entry.mjs' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(dir, 'tfjs.js'),
      logLevel: 'silent',
    });
    if (withWasm) {
      const dist = join(pkg('@tensorflow/tfjs-backend-wasm'), 'dist');
      mkdirSync(join(dir, 'tfjs-wasm'));
      for (const f of readdirSync(dist))
        if (f.endsWith('.wasm')) copyFileSync(join(dist, f), join(dir, 'tfjs-wasm', f));
    }
    tfjs = withWasm
      ? '@tensorflow/tfjs + @tensorflow/tfjs-backend-wasm'
      : '@tensorflow/tfjs (no tfjs-backend-wasm)';
  }
  return { dir, tfjs };
}

const trainRate = (j: Json): number => (typeof j.trainTokensPerSec === 'number' ? j.trainTokensPerSec : -1);

/**
 * Run the configurations in Node and in Chromium (and TF.js in Chromium); returns a row per
 * configuration and what was found. Resolves with a note instead when Chromium is missing.
 */
export async function runBrowserBench(
  o: BrowserBenchOptions,
): Promise<{ rows: BrowserRow[]; notes: string[]; loadavg: number[] }> {
  const notes: string[] = [];
  if (!existsSync(CHROMIUM))
    return {
      rows: [],
      notes: [`${CHROMIUM} is not installed (apt-get install -y chromium)`],
      loadavg: loadavg(),
    };
  const { dir, tfjs } = await preparePage(o.root);
  notes.push(
    tfjs === null
      ? 'TF.js: not installed (npm install --no-save @tensorflow/tfjs @tensorflow/tfjs-backend-wasm)'
      : `TF.js: ${tfjs}`,
  );
  const server = await startLabServer({ root: dir, port: 0, runs: dir });
  const browser = await launchChromium();
  notes.push(`Chromium ${browser.version()}`);
  /** One measurement in a fresh context; `call` names the page function and its arguments. */
  const inPage = async (fn: 'kioku' | 'tfjs', args: unknown[]): Promise<Json> => {
    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForFunction(() => 'kiokuBench' in window);
      const r = await page.evaluate(
        ([name, a]) => {
          const b = (window as unknown as { kiokuBench: Record<string, (...x: unknown[]) => Promise<Json>> })
            .kiokuBench;
          return b[name](...a);
        },
        [fn, args] as const,
      );
      return errors.length > 0 ? { ...r, pageErrors: errors } : r;
    } catch (e) {
      return { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    } finally {
      await ctx.close();
    }
  };
  const rows: BrowserRow[] = [];
  try {
    for (const cfg of o.configs) {
      const slowOk = o.long || ['S', 'M', 'G', 'tiny'].includes(cfg.name);
      const sides: [keyof Omit<BrowserRow, 'name' | 'label'>, () => Promise<Json>][] = [
        ['node', () => Promise.resolve(o.nodeRun(cfg))],
        ['page', () => inPage('kioku', [cfg, o.seconds, 1])],
      ];
      for (const backend of ['cpu', 'wasm'] as const) {
        const side = `tfjs-${backend}` as const;
        sides.push([
          side,
          () =>
            tfjs === null
              ? Promise.resolve({ skipped: 'TF.js not installed' })
              : slowOk
                ? inPage('tfjs', [cfg, o.seconds, backend])
                : Promise.resolve({ skipped: 'too slow for the default budget (use --long)' }),
        ]);
      }
      const row: BrowserRow = {
        name: cfg.name,
        label: cfg.label,
        node: {},
        page: {},
        'tfjs-cpu': {},
        'tfjs-wasm': {},
      };
      for (let i = 0; i < o.repeat; i++) {
        for (const [side, run] of sides) {
          // TF.js runs once: its steps take seconds, and its figure is far from the others.
          if (i > 0 && side.startsWith('tfjs')) continue;
          const r = { ...(await run()), loadavg: Math.round(loadavg()[0] * 100) / 100 };
          if (trainRate(r) > trainRate(row[side]) || Object.keys(row[side]).length === 0) row[side] = r;
        }
      }
      rows.push(row);
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, notes, loadavg: loadavg() };
}

function fmt(x: unknown): string {
  return typeof x === 'number' && Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–';
}

function ratio(a: unknown, b: unknown): number | null {
  return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
}

/** The browser table: training tokens/s in Node and in the page, the page's ratio, TF.js. */
export function formatBrowser(r: { rows: BrowserRow[]; notes: string[]; loadavg: number[] }): string {
  const lines = [
    `kioku in Chromium vs Node — load average ${r.loadavg.map((x) => x.toFixed(2)).join(' ')}; ${r.notes.join('; ')}`,
    '',
    'Training tokens/s (median step), 1 thread; goal: page >= 0.9x Node; TF.js in the same browser',
    '| config | Node | page | page / Node | goal | TF.js cpu (page) | TF.js wasm (page) | page / TF.js cpu | load |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const notes: string[] = [];
  for (const row of r.rows) {
    const k = row.page.trainTokensPerSec;
    const pn = ratio(k, row.node.trainTokensPerSec);
    const vsTf = ratio(k, row['tfjs-cpu'].trainTokensPerSec);
    const loads = [row.node, row.page, row['tfjs-cpu'], row['tfjs-wasm']].flatMap((j) =>
      typeof j.loadavg === 'number' ? [j.loadavg] : [],
    );
    lines.push(
      `| ${row.name} | ${fmt(row.node.trainTokensPerSec)} | ${fmt(k)} | ${pn === null ? '–' : pn.toFixed(2) + 'x'} | ${
        pn === null ? '–' : pn >= 0.9 ? 'met' : 'not met'
      } | ${fmt(row['tfjs-cpu'].trainTokensPerSec)} | ${fmt(row['tfjs-wasm'].trainTokensPerSec)} | ${
        vsTf === null ? '–' : vsTf.toFixed(0) + 'x'
      } | ${loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–'} |`,
    );
    for (const side of ['node', 'page', 'tfjs-cpu', 'tfjs-wasm'] as const) {
      const j = row[side];
      const why = j.error ?? j.skipped;
      if (why !== undefined) notes.push(`${row.name} ${side}: ${String(why)}`);
      if (side === 'page' && typeof j.backend === 'string')
        notes.push(`${row.name} page backend: ${j.backend}`);
    }
  }
  for (const row of r.rows) lines.push(`${row.name}: ${row.label}`);
  if (notes.length) lines.push('', ...notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}
