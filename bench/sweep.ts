/**
 * How cost grows (`npm run bench -- --sweep hidden,batch,seq,vocab,checkpoint`): training
 * tokens/s and peak RSS of kioku and PyTorch as one dimension grows while the others stay at
 * configuration S (LSTM 1×128, embedding 128, vocabulary 80, B=32, T=64); `checkpoint` is
 * configuration W (LSTM 3×400, T=300) with gradient checkpointing every k steps (0 = off;
 * PyTorch runs `torch.utils.checkpoint` over the same segments).
 *
 * Every point is one fresh process per side (`bench/child.ts`, `bench/peers/torch_bench.py`),
 * at one thread each by default; all points and sides of a run take turns, `--repeat` rounds,
 * the fastest of each kept, so a busy spell of the shared machine falls on all of them alike.
 * The table goes to stdout, the figures to bench/figures/sweep-<axis>-{speed,memory}.{svg,png}. Where a
 * point's step time goes, kernel by kernel: `npm run bench -- --profile --configs …`.
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { lineChart, type VegaLiteSpec, writeFigure } from '../src/node/plot.js';
import { type BenchConfig, CONFIGS } from './configs.js';
import { fastestInterleaved, type Json, root, runChild, runKiokuChild } from './measure.js';

/** One swept dimension: its values and the configuration at each. */
export interface SweepAxis {
  name: string;
  /** The x axis's title. */
  title: string;
  values: number[];
  /** Log-scaled x axis (values spanning decades). */
  logX: boolean;
  config: (v: number) => BenchConfig;
}

const base = (name: string): BenchConfig => {
  const c = CONFIGS.find((x) => x.name === name);
  if (!c) throw new Error(`bench/sweep.ts: no configuration ${name}`);
  return c;
};

/** The sweeps the brief of issue #16 asks for, plus the checkpointing trade on W. */
export const SWEEPS: SweepAxis[] = [
  {
    name: 'hidden',
    title: 'hidden size H (= embedding size)',
    values: [64, 128, 256, 512, 1024],
    logX: true,
    config: (v) => ({ ...base('S'), name: `H=${v}`, hidden: v }),
  },
  {
    name: 'batch',
    title: 'batch size B',
    values: [1, 4, 16, 32, 64, 128],
    logX: true,
    config: (v) => ({ ...base('S'), name: `B=${v}`, batch: v }),
  },
  {
    name: 'seq',
    title: 'sequence length T (steps of BPTT)',
    values: [16, 64, 256, 1024],
    logX: true,
    config: (v) => ({ ...base('S'), name: `T=${v}`, steps: v }),
  },
  {
    name: 'vocab',
    title: 'vocabulary V (embedding rows and softmax width)',
    values: [50, 500, 2000, 5000],
    logX: true,
    config: (v) => ({ ...base('S'), name: `V=${v}`, vocab: v, outputs: v }),
  },
  {
    name: 'checkpoint',
    title: 'gradient checkpointing segment k in steps (W: LSTM 3×400, T=300; 0 = off)',
    values: [0, 10, 20, 50, 100],
    logX: false,
    config: (v) => ({ ...base('W'), name: `W/k${v}`, gradCheckpoint: v }),
  },
];

export interface SweepOptions {
  axes: SweepAxis[];
  seconds: number;
  /** kioku's KIOKU_THREADS and PyTorch's thread count. */
  threads: number;
  torchThreads: number;
  repeat: number;
  /** Python with torch, or null to measure kioku only. */
  python: string | null;
}

export interface SweepPoint {
  axis: string;
  value: number;
  side: 'kioku' | 'pytorch';
  tokensPerSec: number | null;
  /** Tokens per CPU-second of the process (median step): what a busy machine hardly moves. */
  tokensPerCpuSec: number | null;
  peakRssMB: number | null;
  loadavg: number | null;
  error?: string;
}

export interface SweepResult {
  /** The axes measured (without their config builders). */
  axes: Omit<SweepAxis, 'config'>[];
  loadavgStart: number[];
  loadavgEnd: number[];
  threads: number;
  torchThreads: number;
  seconds: number;
  repeat: number;
  points: SweepPoint[];
}

/**
 * The axes named in `--sweep a,b` ('all' for every one), with `values` (`--values 0,20,50`)
 * replacing the default values of a single axis; unknown names are an error.
 */
export function sweepAxes(names: string[], values: number[] | null = null): SweepAxis[] {
  const axes = names.includes('all')
    ? SWEEPS
    : names.map((n) => {
        const a = SWEEPS.find((s) => s.name === n);
        if (!a) throw new Error(`unknown sweep '${n}' (known: ${SWEEPS.map((s) => s.name).join(', ')}, all)`);
        return a;
      });
  if (values === null) return axes;
  if (axes.length !== 1) throw new Error(`--values needs exactly one --sweep axis, got ${axes.length}`);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 0))
    throw new Error(`--values must be non-negative integers, got ${values.join(',')}`);
  return [{ ...axes[0], values }];
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Measure every point of the axes, kioku and PyTorch taking turns (see the module comment). */
export function runSweep(o: SweepOptions): SweepResult {
  const axes = o.axes;
  const runs: Record<string, () => Json> = {};
  const keys: { key: string; axis: string; value: number; side: SweepPoint['side'] }[] = [];
  for (const axis of axes) {
    for (const value of axis.values) {
      const config = axis.config(value);
      const k = `${axis.name}=${value}`;
      runs[`${k} kioku`] = () =>
        runKiokuChild({ config, seconds: o.seconds, backend: 'wasm', threads: o.threads }, o.threads);
      keys.push({ key: `${k} kioku`, axis: axis.name, value, side: 'kioku' });
      if (o.python !== null) {
        const python = o.python;
        runs[`${k} pytorch`] = () =>
          runChild(python, [
            join(root, 'bench/peers/torch_bench.py'),
            JSON.stringify({ config, threads: o.torchThreads, seconds: o.seconds }),
          ]);
        keys.push({ key: `${k} pytorch`, axis: axis.name, value, side: 'pytorch' });
      }
    }
  }
  const loadavgStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const best = fastestInterleaved(o.repeat, runs);
  const points = keys.map(({ key, axis, value, side }): SweepPoint => {
    const r = best[key];
    return {
      axis,
      value,
      side,
      tokensPerSec: num(r.trainTokensPerSec),
      tokensPerCpuSec: num(r.trainTokensPerCpuSec),
      peakRssMB: num(r.peakRssMB),
      loadavg: num(r.loadavg),
      ...(typeof r.error === 'string' ? { error: r.error } : {}),
    };
  });
  return {
    axes: axes.map(({ name, title, values, logX }) => ({ name, title, values, logX })),
    loadavgStart,
    loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    threads: o.threads,
    torchThreads: o.torchThreads,
    seconds: o.seconds,
    repeat: o.repeat,
    points,
  };
}

function fmt(x: number | null): string {
  return x === null ? '–' : Math.round(x).toLocaleString('en-US');
}

/** One markdown table per axis: tokens/s, ratio and peak RSS of both sides, and the load. */
export function formatSweep(r: SweepResult): string {
  const lines = [
    `kioku sweep — kioku x${r.threads} vs PyTorch x${r.torchThreads}, ${r.seconds} s per measurement, fastest of ${r.repeat} interleaved; load average ${r.loadavgStart.join(' ')} at the start, ${r.loadavgEnd.join(' ')} at the end`,
  ];
  for (const axis of r.axes) {
    const pts = r.points.filter((p) => p.axis === axis.name);
    lines.push('', `${axis.name}: ${axis.title}`);
    lines.push(
      '| value | kioku tokens/s | PyTorch tokens/s | kioku tokens/CPU-s | PyTorch tokens/CPU-s | kioku / PyTorch (CPU) | kioku RSS MB | PyTorch RSS MB | load |',
    );
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const value of axis.values) {
      const k = pts.find((p) => p.value === value && p.side === 'kioku');
      const t = pts.find((p) => p.value === value && p.side === 'pytorch');
      const ratio =
        k?.tokensPerCpuSec && t?.tokensPerCpuSec
          ? `${(k.tokensPerCpuSec / t.tokensPerCpuSec).toFixed(2)}x`
          : '–';
      const loads = [k?.loadavg, t?.loadavg].filter((x): x is number => typeof x === 'number');
      const cells = [
        fmt(k?.tokensPerSec ?? null),
        fmt(t?.tokensPerSec ?? null),
        fmt(k?.tokensPerCpuSec ?? null),
        fmt(t?.tokensPerCpuSec ?? null),
        ratio,
        fmt(k?.peakRssMB ?? null),
        fmt(t?.peakRssMB ?? null),
        loads.map((x) => x.toFixed(1)).join('/') || '–',
      ];
      lines.push(`| ${value} | ${cells.join(' | ')} |`);
    }
    for (const p of pts) if (p.error) lines.push(`note: ${axis.name}=${p.value} ${p.side}: ${p.error}`);
  }
  return lines.join('\n');
}

/** The figure of one axis and metric: kioku's and PyTorch's line, the load average in the title. */
export function sweepFigureSpec(
  r: SweepResult,
  axis: SweepResult['axes'][number],
  metric: 'speed' | 'memory',
): VegaLiteSpec {
  const data = r.points.flatMap((p) => {
    const y = metric === 'speed' ? (p.tokensPerCpuSec ?? p.tokensPerSec) : p.peakRssMB;
    return p.axis === axis.name && y !== null
      ? [{ x: p.value, system: `${p.side} x${p.side === 'kioku' ? r.threads : r.torchThreads}`, y }]
      : [];
  });
  const loads = r.points.flatMap((p) => (p.axis === axis.name && p.loadavg !== null ? [p.loadavg] : []));
  const load = loads.length
    ? `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`
    : 'load average –';
  const yTitle =
    metric === 'speed' ? 'training tokens per CPU-second (median step)' : 'peak RSS of the process (MB)';
  return lineChart({
    title: `${yTitle} vs ${axis.name} (${load}; fastest of ${r.repeat})`,
    data,
    x: 'x',
    y: 'y',
    color: 'system',
    xTitle: axis.title,
    yTitle,
    logX: axis.logX,
    logY: metric === 'speed',
    points: true,
    width: 420,
    height: 260,
  });
}

/** Write bench/figures/sweep-<axis>-{speed,memory}.svg/.png for every axis measured; returns the SVG paths. */
export async function writeSweepFigures(
  r: SweepResult,
  dir = join(root, 'bench/figures'),
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const axis of r.axes) {
    for (const metric of ['speed', 'memory'] as const) {
      const f = await writeFigure(
        join(dir, `sweep-${axis.name}-${metric}`),
        sweepFigureSpec(r, axis, metric),
      );
      out.push(f.svg);
    }
  }
  return out;
}
