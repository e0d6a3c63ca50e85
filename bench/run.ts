/**
 * `npm run bench` — kioku against its peers, in one run, on this machine.
 *
 *   npm run bench                      # all configurations, table
 *   npm run bench -- --json            # the same as JSON
 *   npm run bench -- --configs S,G --seconds 1 --threads 1,2 --no-peers
 *   npm run bench -- --long            # 10 s per measurement instead of 2, slow peers on all configs
 *   npm run bench -- --repeat 3        # keep the fastest of 3 runs of each kioku/PyTorch measurement
 *   npm run bench -- --baseline ../kioku-main --repeat 3   # kioku from another checkout ("before"),
 *                                      # its runs interleaved with this checkout's
 *   npm run bench -- --profile         # where a kioku step's time goes, kernel by kernel
 *   npm run bench -- --whole           # `kioku train char` as a user runs it vs a PyTorch script
 *   npm run bench -- --configs W,W/k20 # W, and W with gradient checkpointing every 20 steps
 *   npm run bench -- --sweep hidden,seq  # tokens/s and peak RSS as one dimension grows (figures)
 *   npm run bench -- --sweep checkpoint --values 0,20,50   # one axis at chosen values
 *   npm run bench -- --no-fused        # sample through the layers' forward (not the fused kernel)
 *   npm run bench -- --browser         # training in Chromium vs Node, and TF.js in the same page
 *
 * Every measurement runs in its own process (peak RSS is per measurement). Peers are
 * optional and found at run time: PyTorch through /usr/bin/python3 (2 threads), TensorFlow.js
 * (`@tensorflow/tfjs`, cpu backend) and brain.js where `npm install --no-save` put them.
 * Figures are from the median step (robust to a busy machine); ratios are kioku / peer.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchConfig, configByName, CONFIGS } from './configs.js';
import {
  fastest,
  fastestInterleaved,
  hasTorch,
  type Json,
  nodeFlags,
  root,
  runChild,
  runKiokuChild,
} from './measure.js';
import { formatSweep, runSweep, sweepAxes, writeSweepFigures } from './sweep.js';
import { formatBrowser, runBrowserBench } from './browser.js';
import { formatWhole, runWhole } from './whole.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface BenchOptions {
  configs: BenchConfig[];
  seconds: number;
  threads: number[];
  /** PyTorch thread counts (2 is the reference; 1 shows what a busy machine leaves it). */
  torchThreads: number[];
  peers: boolean;
  /** Restrict peers to these names (`--peers pytorch,tfjs-cpu`); null = every peer found. */
  only: string[] | null;
  /** Leave parameters in plain JS arrays (no packing into the backend's memory). */
  noPack: boolean;
  /** Sample through the layers' forward instead of the fused decoding kernel (`--no-fused`). */
  noFused?: boolean;
  json: boolean;
  long: boolean;
  /** Run each kioku / PyTorch measurement this many times and keep the fastest (a busy machine). */
  repeat: number;
  python: string;
  /** Another kioku checkout measured as "before", its runs interleaved with this one's. */
  baseline: string | null;
  /** Time every backend kernel call of the kioku runs (the per-kernel breakdown). */
  profile: boolean;
  /** Steps of the whole-process benchmark instead of the configurations (`--whole [steps]`); 0 = off. */
  whole?: number;
  /** Cost-growth sweeps instead of the configurations (`--sweep hidden,batch,seq,vocab,checkpoint|all`). */
  sweep?: string[] | null;
  /** `--values v1,v2`: the values of a single sweep axis instead of its defaults. */
  sweepValues?: number[] | null;
  /** Training in Chromium next to Node and TF.js in the page, instead of the configurations (`--browser`). */
  browser?: boolean;
}

function parseArgs(argv: string[]): BenchOptions {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const long = argv.includes('--long');
  const browser = argv.includes('--browser');
  const names = (get('--configs') ?? (browser ? 'S,M,G' : CONFIGS.map((c) => c.name).join(','))).split(',');
  const configs = names.map(configByName);
  return {
    configs,
    seconds: Number(get('--seconds') ?? (long ? 10 : argv.includes('--sweep') ? 1 : 2)),
    threads: (get('--threads') ?? '1,2').split(',').map(Number),
    torchThreads: (get('--torch-threads') ?? '1,2').split(',').map(Number),
    peers: !argv.includes('--no-peers'),
    only: get('--peers')?.split(',') ?? null,
    noPack: argv.includes('--no-pack'),
    noFused: argv.includes('--no-fused'),
    json: argv.includes('--json'),
    long,
    repeat: Math.max(1, Number(get('--repeat') ?? 1)),
    python: get('--python') ?? '/usr/bin/python3',
    baseline: get('--baseline') ?? null,
    profile: argv.includes('--profile'),
    browser,
    whole: argv.includes('--whole') ? Number(/^\d+$/.test(get('--whole') ?? '') ? get('--whole') : 150) : 0,
    sweep: argv.includes('--sweep') ? (get('--sweep') ?? 'all').split(',') : null,
    sweepValues: get('--values')?.split(',').map(Number) ?? null,
  };
}

/** Whether a package can be resolved from the project (optional peers). */
function hasPackage(name: string): boolean {
  return existsSync(join(root, 'node_modules', name, 'package.json'));
}

export interface BenchReport {
  machine: Json;
  peersFound: Record<string, string | null>;
  sgemm: Record<string, Json>;
  configs: Json[];
}

export function runBench(o: BenchOptions): BenchReport {
  /** One kioku measurement from a checkout (this one, or the baseline's bench/child.ts). */
  const kiokuRun =
    (checkout: string, payload: Json, threads: number): (() => Json) =>
    () =>
      runKiokuChild(payload, threads, checkout);
  /** `kioku x<t>` (and, with a baseline, `before x<t>`), best of the interleaved repeats. */
  const kiokuChild = (payload: Json, threads: number, into: Json): void => {
    const runs: Record<string, () => Json> = {
      [`kioku x${threads}`]: kiokuRun(root, { ...payload, profile: o.profile }, threads),
    };
    if (o.baseline !== null) runs[`before x${threads}`] = kiokuRun(o.baseline, payload, threads);
    Object.assign(into, fastestInterleaved(o.repeat, runs));
  };
  const want = (peer: string): boolean => o.peers && (o.only === null || o.only.includes(peer));
  const torch = want('pytorch') ? hasTorch(o.python) : null;
  const peersFound: Record<string, string | null> = {
    pytorch: torch,
    'tfjs-cpu': want('tfjs-cpu') && hasPackage('@tensorflow/tfjs') ? 'found' : null,
    'brain.js': want('brain.js') && hasPackage('brain.js') ? 'found' : null,
  };
  const machine: Json = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    relaxedSimdFlag: nodeFlags().length > 0,
    seconds: o.seconds,
  };
  const sgemm: Record<string, Json> = {};
  for (const t of o.threads)
    kiokuChild({ seconds: o.seconds, backend: 'wasm', threads: t, sgemm: true }, t, sgemm);
  if (torch) {
    for (const t of o.torchThreads) {
      sgemm[`pytorch x${t}`] = fastest(o.repeat, () =>
        runChild(o.python, [
          join(here, 'peers/torch_bench.py'),
          JSON.stringify({ sgemm: true, threads: t, seconds: o.seconds }),
        ]),
      );
    }
  }
  const configs: Json[] = [];
  for (const cfg of o.configs) {
    const row: Json = { name: cfg.name, label: cfg.label, tokensPerStep: cfg.steps * cfg.batch };
    for (const t of o.threads)
      kiokuChild(
        {
          config: cfg,
          seconds: o.seconds,
          backend: 'wasm',
          threads: t,
          noPack: o.noPack,
          noFused: o.noFused,
        },
        t,
        row,
      );
    if (torch) {
      for (const t of o.torchThreads) {
        row[`pytorch x${t}`] = fastest(o.repeat, () =>
          runChild(o.python, [
            join(here, 'peers/torch_bench.py'),
            JSON.stringify({ config: cfg, threads: t, seconds: o.seconds }),
          ]),
        );
      }
    }
    // The slow peers need minutes per step on the big configurations: S, M and G by default.
    const slowOk = o.long || ['S', 'M', 'G', 'tiny'].includes(cfg.name);
    for (const [peer, script] of [
      ['tfjs-cpu', 'peers/tfjs_bench.mjs'],
      ['brain.js', 'peers/brain_bench.mjs'],
    ] as const) {
      if (peersFound[peer] === null) continue;
      row[peer] = slowOk
        ? runChild(process.execPath, [
            join(here, script),
            JSON.stringify({ config: cfg, seconds: o.seconds }),
          ])
        : { skipped: 'too slow for the default budget (use --long)' };
    }
    configs.push(row);
  }
  return { machine, peersFound, sgemm, configs };
}

// ---- the table ----

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

function fmt(x: number | null, digits = 0): string {
  if (x === null) return '–';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits || (x < 10 ? 2 : 1));
}

function ratioValue(a: number | null, b: number | null): number | null {
  return a !== null && b !== null && b > 0 ? a / b : null;
}

/** Issue #16's sampling goal: batch-1 chars/s at least this multiple of PyTorch's on S, M and G. */
const SAMPLE_GOAL = 8;

/** Issue #16's training goals: best kioku / best PyTorch tokens/s, and the floor under each. */
const TRAIN_GOALS: Record<string, { goal: number; floor: number }> = {
  S: { goal: 1.5, floor: 1.2 },
  M: { goal: 1.5, floor: 1.2 },
  G: { goal: 1.5, floor: 1.2 },
  L: { goal: 0.8, floor: 0.7 },
  W: { goal: 0.8, floor: 0.7 },
  J: { goal: 1.2, floor: 1.2 },
};

/** "met", "floor met" or "not met" for a configuration's training ratio ("–" without a goal). */
function trainGoal(name: string, ratio: number | null): string {
  const g = TRAIN_GOALS[name];
  if (!g || ratio === null) return '–';
  const at = `>= ${g.goal}x`;
  if (ratio >= g.goal) return `met (${at})`;
  return ratio >= g.floor ? `floor met (${at}, floor ${g.floor}x)` : `not met (${at})`;
}

/** Which path kioku's sampling took (the fused decoding kernel, or the layers' forward). */
function samplingPath(r: BenchReport): string {
  const runs = r.configs.flatMap((c) =>
    Object.entries(c)
      .filter(([k]) => k.startsWith('kioku'))
      .map(([, v]) => (v as Json).sampleFused),
  );
  if (runs.some((f) => f === true)) return 'kioku: fused decoding kernel, one call per character';
  if (runs.some((f) => f === false)) return "kioku: the layers' forward per character";
  return 'kioku';
}

function ratio(a: number | null, b: number | null): string {
  return a !== null && b !== null && b > 0 ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}x` : '–';
}

/** The best entry of a row among keys starting with `prefix` (over thread counts) by a metric. */
function best(row: Json, prefix: string, metric: string): { value: number | null; key: string } {
  let b: { value: number | null; key: string } = { value: null, key: '' };
  for (const [k, v] of Object.entries(row)) {
    if (!k.startsWith(prefix)) continue;
    const x = num((v as Json)[metric]);
    if (x !== null && (b.value === null || x > b.value)) b = { value: x, key: k };
  }
  return b;
}

export function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(
    `kioku bench — Node ${m.node}, ${m.cpu} (${m.cores} cores), load average ${(m.loadavg as number[]).join(' ')}`,
  );
  const found = Object.entries(r.peersFound).map(([k, v]) => `${k}: ${v ?? 'not found'}`);
  lines.push(`peers — ${found.join('; ')}`);
  const anyKioku = Object.values(r.sgemm).find((v) => typeof v.backend === 'string');
  if (anyKioku)
    lines.push(
      `kioku backends — ${Object.entries(r.sgemm)
        .filter(([k]) => k.startsWith('kioku'))
        .map(([, v]) => v.backend)
        .join('; ')}`,
    );
  lines.push('');
  const shapes = new Set<string>();
  for (const v of Object.values(r.sgemm)) for (const s of Object.keys((v.sgemm as Json) ?? {})) shapes.add(s);
  const who = Object.keys(r.sgemm);
  if (shapes.size > 0) lines.push('SGEMM GFLOP/s (best of repeated runs)', `| shape | ${who.join(' | ')} |`);
  if (shapes.size > 0) lines.push(`|---|${who.map(() => '---:').join('|')}|`);
  for (const s of shapes) {
    const cells = who.map((w) => {
      const g = (r.sgemm[w].sgemm as Json | undefined) ?? {};
      return fmt(num(g[s]), 1);
    });
    lines.push(`| ${s} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  const keys = (prefix: string): string[] => [
    ...new Set(r.configs.flatMap((c) => Object.keys(c).filter((k) => k.startsWith(prefix)))),
  ];
  const kiokuKeys = keys('kioku');
  const beforeKeys = keys('before');
  const torchKeys = keys('pytorch');
  const cell = (c: Json, k: string, metric: string): number | null => num(((c[k] as Json) ?? {})[metric]);
  lines.push(
    'Training tokens/s (median step); ratio = best kioku / best peer; load = 1-min load average over the best runs',
  );
  const trainCols = [...beforeKeys, ...kiokuKeys, ...torchKeys, 'tfjs-cpu', 'brain.js'];
  const vsBefore = beforeKeys.length > 0 ? ['vs before'] : [];
  lines.push(
    `| config | ${trainCols.join(' | ')} | ${[...vsBefore, 'vs PyTorch', 'goal', 'vs TF.js', 'vs brain.js'].join(' | ')} | load |`,
  );
  lines.push(`|---|${new Array(trainCols.length + vsBefore.length + 5).fill('---:').join('|')}|`);
  for (const c of r.configs) {
    const k = best(c, 'kioku', 'trainTokensPerSec').value;
    const loads = Object.values(c).flatMap((v) => num((v as Json)?.loadavg) ?? []);
    const cells = [
      ...trainCols.map((col) => fmt(cell(c, col, 'trainTokensPerSec'))),
      ...(vsBefore.length > 0 ? [ratio(k, best(c, 'before', 'trainTokensPerSec').value)] : []),
      ratio(k, best(c, 'pytorch', 'trainTokensPerSec').value),
      trainGoal(String(c.name), ratioValue(k, best(c, 'pytorch', 'trainTokensPerSec').value)),
      ratio(k, cell(c, 'tfjs-cpu', 'trainTokensPerSec')),
      ratio(k, cell(c, 'brain.js', 'trainTokensPerSec')),
      loads.length > 0 ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–',
    ];
    lines.push(`| ${c.name} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(
    `Sampling chars/s (batch 1, one token at a time; ${samplingPath(r)}); goal: S, M, G >= ${SAMPLE_GOAL}x PyTorch; peak RSS MB of the fastest training run (goal: kioku <= PyTorch)`,
  );
  const sampleCols = [...beforeKeys, ...kiokuKeys, ...torchKeys, 'brain.js'];
  lines.push(
    `| config | ${sampleCols.join(' | ')} | ${[...vsBefore, 'vs PyTorch'].join(' | ')} | goal | vs brain.js | kioku RSS | PyTorch RSS | memory goal |`,
  );
  lines.push(`|---|${new Array(sampleCols.length + vsBefore.length + 6).fill('---:').join('|')}|`);
  for (const c of r.configs) {
    const k = best(c, 'kioku', 'sampleCharsPerSec').value;
    const kt = best(c, 'kioku', 'trainTokensPerSec').key;
    const tt = best(c, 'pytorch', 'trainTokensPerSec').key;
    const vsTorch = ratioValue(k, best(c, 'pytorch', 'sampleCharsPerSec').value);
    const goal = ['S', 'M', 'G'].includes(String(c.name)) && vsTorch !== null;
    const kRss = kt ? cell(c, kt, 'peakRssMB') : null;
    const tRss = tt ? cell(c, tt, 'peakRssMB') : null;
    const cells = [
      ...sampleCols.map((col) => fmt(cell(c, col, 'sampleCharsPerSec'))),
      ...(vsBefore.length > 0 ? [ratio(k, best(c, 'before', 'sampleCharsPerSec').value)] : []),
      ratio(k, best(c, 'pytorch', 'sampleCharsPerSec').value),
      goal ? (vsTorch >= SAMPLE_GOAL ? 'met' : 'not met') : '–',
      ratio(k, cell(c, 'brain.js', 'sampleCharsPerSec')),
      fmt(kRss),
      fmt(tRss),
      kRss !== null && tRss !== null ? (kRss <= tRss ? 'met' : 'not met') : '–',
    ];
    lines.push(`| ${c.name} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  for (const c of r.configs) lines.push(`${c.name}: ${c.label}`);
  // --profile: where one training step's time goes (the single-thread run, else the first).
  for (const c of r.configs) {
    const k = kiokuKeys.find((key) => Array.isArray(((c[key] as Json) ?? {}).profile));
    if (k === undefined) continue;
    const shares = (c[k] as Json).profile as { kernel: string; msPerStep: number; callsPerStep: number }[];
    const total = shares.reduce((a, s) => a + s.msPerStep, 0);
    lines.push('', `${c.name} ${k}: ${fmt(total, 1)} ms per training step (mean), by kernel`);
    lines.push('| kernel | ms/step | share | calls/step |', '|---|---:|---:|---:|');
    for (const s of shares.slice(0, 14))
      lines.push(
        `| ${s.kernel} | ${fmt(s.msPerStep, 2)} | ${((100 * s.msPerStep) / total).toFixed(1)}% | ${fmt(s.callsPerStep)} |`,
      );
  }
  const errors: string[] = [];
  for (const c of r.configs) {
    for (const [k, v] of Object.entries(c)) {
      const e = (v as Json)?.error ?? (v as Json)?.skipped;
      if (e) errors.push(`${c.name} ${k}: ${String(e)}`);
    }
  }
  for (const [k, v] of Object.entries(r.sgemm)) if (v.error) errors.push(`sgemm ${k}: ${String(v.error)}`);
  if (errors.length) lines.push('', ...errors.map((e) => `note: ${e}`));
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const o = parseArgs(process.argv.slice(2));
  if (o.whole) {
    const python = o.peers && hasTorch(o.python) ? o.python : null;
    const results = runWhole({
      root,
      python,
      steps: o.whole,
      threads: o.threads,
      torchThreads: o.torchThreads,
      repeat: o.repeat,
      baseline: o.baseline,
    });
    console.log(o.json ? JSON.stringify(results, null, 2) : formatWhole(results, o.whole));
    process.exit(0);
  }
  if (o.sweep) {
    // One thread a side by default (the first of --threads / --torch-threads).
    const r = runSweep({
      axes: sweepAxes(o.sweep, o.sweepValues ?? null),
      seconds: o.seconds,
      threads: o.threads[0],
      torchThreads: o.torchThreads[0],
      repeat: o.repeat,
      python: o.peers && hasTorch(o.python) ? o.python : null,
    });
    console.log(o.json ? JSON.stringify(r, null, 2) : formatSweep(r));
    const figures = await writeSweepFigures(r);
    if (!o.json) console.log(`\nfigures: ${figures.join(', ')}`);
    process.exit(0);
  }
  if (o.browser) {
    const r = await runBrowserBench({
      root,
      configs: o.configs,
      seconds: o.seconds,
      repeat: o.repeat,
      long: o.long,
      nodeRun: (cfg) => runKiokuChild({ config: cfg, seconds: o.seconds, backend: 'wasm', threads: 1 }, 1),
    });
    console.log(o.json ? JSON.stringify(r, null, 2) : formatBrowser(r));
    process.exit(0);
  }
  const report = runBench(o);
  console.log(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
}
