/**
 * The whole-process benchmark (`npm run bench -- --whole`): `kioku train char` run as a user
 * runs it — start-up, reading the text, training, validation passes, checkpoints, the loss
 * figure — against a PyTorch script doing the same steps, validation and checkpoints
 * (`bench/peers/torch_train_char.py`), on a generated Japanese text with a 3,000-character
 * vocabulary (`bench/japanese-text.ts`). The figures are wall-clock seconds from spawn to exit
 * and the CPU seconds the process used (user + system, all its threads): on a shared machine
 * the wall clock measures the other users too, while a one-thread run's CPU time stays close
 * to what it takes on an idle machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateJapaneseText } from './japanese-text.js';

/** The run both sides do: the J model on the generated text. */
export const WHOLE_RUN = {
  hidden: 256,
  embed: 256,
  layers: 1,
  batch: 32,
  seq: 64,
  lr: 0.003,
  decay: 0.95,
  decayEvery: 500,
  clip: 5,
  valFraction: 0.05,
  validateEvery: 50,
  checkpointEvery: 50,
};

export interface WholeResult {
  side: string;
  seconds: number | null;
  /** User + system CPU seconds of the process and its threads (null where `sh` cannot tell). */
  cpuSeconds: number | null;
  loadavg: number;
  detail: string;
}

/** Minutes and seconds as the shell's `times` prints them ("1m2.345s"). */
function shellSeconds(m: string, s: string): number {
  return Number(m) * 60 + Number(s);
}

/**
 * Wall-clock and CPU seconds of one command, from spawn to exit; null (and the reason) on
 * failure. It runs under `sh`, whose `times` reports the CPU time of its finished children.
 */
function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): [number | null, number | null, string] {
  const t0 = performance.now();
  const r = spawnSync('/bin/sh', ['-c', '"$0" "$@"; s=$?; times >&2; exit $s', cmd, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    return [
      null,
      null,
      (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | '),
    ];
  // The last line of `times`: the children's user and system time.
  const t = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(r.stderr ?? '');
  const cpu = t ? shellSeconds(t[1], t[2]) + shellSeconds(t[3], t[4]) : null;
  return [s, cpu, (r.stdout ?? '').trim().split('\n').pop() ?? ''];
}

/**
 * `repeat` interleaved rounds of: kioku at each thread count, PyTorch at each thread count;
 * the fastest of each side kept.
 */
export function runWhole(opts: {
  root: string;
  python: string | null;
  steps: number;
  threads: number[];
  torchThreads: number[];
  repeat: number;
  /** Another checkout whose `bin/kioku.js` runs as "before", taking turns with this one's. */
  baseline?: string | null;
}): WholeResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-whole-'));
  const data = join(dir, 'japanese.txt');
  writeFileSync(data, generateJapaneseText(400_000, 3000, 1));
  const w = WHOLE_RUN;
  const sides: Record<string, () => [number | null, number | null, string]> = {};
  const kiokuSide =
    (checkout: string, name: string, t: number) => (): [number | null, number | null, string] => {
      const out = join(dir, name.replace(' ', '-'));
      rmSync(out, { recursive: true, force: true });
      const flags = [
        ['--data', data],
        ['--hidden', w.hidden],
        ['--embed', w.embed],
        ['--layers', w.layers],
        ['--batch', w.batch],
        ['--seq', w.seq],
        ['--steps', opts.steps],
        ['--lr', w.lr],
        ['--decay', w.decay],
        ['--decay-every', w.decayEvery],
        ['--clip', w.clip],
        ['--val-fraction', w.valFraction],
        ['--validate-every', w.validateEvery],
        ['--checkpoint-every', w.checkpointEvery],
        ['--out', out],
      ].flatMap(([k, v]) => [String(k), String(v)]);
      return timed(
        process.execPath,
        [join(checkout, 'bin/kioku.js'), 'train', 'char', ...flags, '--quiet'],
        { KIOKU_THREADS: String(t) },
        checkout,
      );
    };
  for (const t of opts.threads) {
    if (opts.baseline) sides[`before x${t}`] = kiokuSide(opts.baseline, `before x${t}`, t);
    sides[`kioku x${t}`] = kiokuSide(opts.root, `kioku x${t}`, t);
  }
  if (opts.python !== null) {
    const python = opts.python;
    for (const t of opts.torchThreads) {
      sides[`pytorch x${t}`] = () => {
        const out = join(dir, `torch-${t}`);
        rmSync(out, { recursive: true, force: true });
        const args = { ...w, data, out, steps: opts.steps, threads: t };
        return timed(
          python,
          [join(opts.root, 'bench/peers/torch_train_char.py'), JSON.stringify(args)],
          {},
          opts.root,
        );
      };
    }
  }
  const best = new Map<string, WholeResult>();
  for (let i = 0; i < opts.repeat; i++) {
    for (const [side, run] of Object.entries(sides)) {
      const [seconds, cpuSeconds, detail] = run();
      const prev = best.get(side);
      if (prev === undefined || (seconds !== null && (prev.seconds === null || seconds < prev.seconds)))
        best.set(side, { side, seconds, cpuSeconds, loadavg: Math.round(loadavg()[0] * 100) / 100, detail });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return [...best.values()];
}

/** The table of a whole-process run; ratio = PyTorch's best seconds / kioku's best. */
export function formatWhole(results: WholeResult[], steps: number): string {
  const fastest = (prefix: string, metric: 'seconds' | 'cpuSeconds' = 'seconds'): number | null => {
    const s = results.filter((r) => r.side.startsWith(prefix)).flatMap((r) => r[metric] ?? []);
    return s.length ? Math.min(...s) : null;
  };
  const fixed = (x: number | null): string => (x === null ? '–' : x.toFixed(2));
  const lines = [
    `Whole process: ${steps} steps of LSTM 1x${WHOLE_RUN.hidden}, embedding ${WHOLE_RUN.embed}, vocabulary 3000 (generated Japanese text), B=${WHOLE_RUN.batch}, T=${WHOLE_RUN.seq}, validation every ${WHOLE_RUN.validateEvery}, checkpoint every ${WHOLE_RUN.checkpointEvery}`,
    '| side | seconds (spawn to exit, best) | CPU seconds (user + system) | load |',
    '|---|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.side} | ${r.seconds === null ? `failed: ${r.detail}` : r.seconds.toFixed(2)} | ${fixed(r.cpuSeconds)} | ${r.loadavg.toFixed(2)} |`,
    ),
  ];
  const ratio = (what: string, num: number | null, den: number | null): void => {
    if (num !== null && den !== null) lines.push(`${what}: ${(num / den).toFixed(2)}x`);
  };
  const k = fastest('kioku');
  const torch = fastest('pytorch');
  ratio('kioku / PyTorch (speed, PyTorch seconds / kioku seconds)', torch, k);
  // Issue #16: the whole process at least as fast as the PyTorch script.
  if (k !== null && torch !== null) lines.push(`goal (>= 1.0x): ${torch / k >= 1 ? 'met' : 'not met'}`);
  ratio(
    'kioku x1 / PyTorch x1 by CPU seconds (what an idle machine would show)',
    fastest('pytorch x1', 'cpuSeconds'),
    fastest('kioku x1', 'cpuSeconds'),
  );
  ratio('kioku / before (speed)', fastest('before'), k);
  ratio(
    'kioku x1 / before x1 by CPU seconds',
    fastest('before x1', 'cpuSeconds'),
    fastest('kioku x1', 'cpuSeconds'),
  );
  return lines.join('\n');
}
