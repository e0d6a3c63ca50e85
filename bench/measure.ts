/**
 * Running measurements for the bench: each in a fresh child process (kioku's
 * `bench/child.ts`, the peers' scripts) that prints one JSON line, taking turns so that a
 * busy machine's slow spells fall on every side alike. `run.ts` (the tables) and
 * `sweep.ts` (the cost-growth figures) share these.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (children run there). */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Node flags for the kioku children: relaxed SIMD where this Node needs (and accepts) the flag. */
export function nodeFlags(): string[] {
  if (probedFlags === null) {
    const flag = '--experimental-wasm-relaxed-simd';
    const probe = spawnSync(process.execPath, [flag, '-e', '0'], { stdio: 'ignore' });
    probedFlags = probe.status === 0 ? [flag] : [];
  }
  return probedFlags;
}
/** What `nodeFlags` found (probed once per process). */
let probedFlags: string[] | null = null;

export type Json = Record<string, unknown>;

/** A measurement's score for "fastest": training tokens/s, else the sum of its SGEMM figures. */
export function score(j: Json): number {
  const t = j.trainTokensPerSec;
  if (typeof t === 'number') return t;
  const g = (j.sgemm as Record<string, number> | undefined) ?? {};
  return Object.values(g).reduce((a, b) => a + b, 0);
}

/**
 * The fastest of `n` runs of each measurement, the measurements taking turns (a, b, a, b, …)
 * so that a busy machine's slow spells fall on all of them alike. Each result gets the load
 * average at the moment it was measured.
 */
export function fastestInterleaved(n: number, runs: Record<string, () => Json>): Record<string, Json> {
  const best: Record<string, Json> = {};
  const bestSample: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    for (const [name, run] of Object.entries(runs)) {
      const r: Json = { ...run(), loadavg: Math.round(loadavg()[0] * 100) / 100 };
      const b = best[name];
      if (b === undefined || (!('error' in r) && ('error' in b || score(r) > score(b)))) best[name] = r;
      const sample = r.sampleCharsPerSec;
      if (typeof sample === 'number') bestSample[name] = Math.max(bestSample[name] ?? 0, sample);
    }
  }
  // Sampling is its own measurement: its fastest run need not be the fastest training run.
  for (const [name, sample] of Object.entries(bestSample)) best[name].sampleCharsPerSec = sample;
  return best;
}

/** The fastest of `n` runs of one measurement. */
export function fastest(n: number, run: () => Json): Json {
  return fastestInterleaved(n, { run }).run;
}

/** Spawn a measurement that prints one JSON line last (else `{ error }` with its last lines of output). */
export function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = root): Json {
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Json;
  } catch {
    return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  }
}

/**
 * One kioku measurement: `bench/child.ts` of `checkout` (this one, or a `--baseline`) in a fresh
 * Node with `payload` and `KIOKU_THREADS` = `threads`.
 */
export function runKiokuChild(payload: Json, threads: number, checkout = root): Json {
  return runChild(
    process.execPath,
    [...nodeFlags(), '--import', 'tsx', join(checkout, 'bench/child.ts'), JSON.stringify(payload)],
    { KIOKU_THREADS: String(threads) },
    checkout,
  );
}

/** The PyTorch version `python` imports, or null when it has none. */
export function hasTorch(python: string): string | null {
  try {
    return execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return null;
  }
}
