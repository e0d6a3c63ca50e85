/**
 * The whole-process benchmark (`npm run bench -- --whole`): `kioku train char` run as a user
 * runs it — start-up, reading the text, training, validation passes, checkpoints, the loss
 * figure — against a PyTorch script doing the same steps, validation and checkpoints
 * (`bench/peers/torch_train_char.py`), on a generated Japanese text with a 3,000-character
 * vocabulary (`bench/japanese-text.ts`). The figure is wall-clock seconds from spawn to exit.
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
  loadavg: number;
  detail: string;
}

/** Wall-clock seconds of one command, from spawn to exit; null (and the reason) on failure. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): [number | null, string] {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    return [null, (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-2).join(' | ')];
  return [s, (r.stdout ?? '').trim().split('\n').pop() ?? ''];
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
}): WholeResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-whole-'));
  const data = join(dir, 'japanese.txt');
  writeFileSync(data, generateJapaneseText(400_000, 3000, 1));
  const w = WHOLE_RUN;
  const sides: Record<string, () => [number | null, string]> = {};
  for (const t of opts.threads) {
    sides[`kioku x${t}`] = () => {
      const out = join(dir, `kioku-${t}`);
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
        [join(opts.root, 'bin/kioku.js'), 'train', 'char', ...flags, '--quiet'],
        { KIOKU_THREADS: String(t) },
        opts.root,
      );
    };
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
      const [seconds, detail] = run();
      const prev = best.get(side);
      if (prev === undefined || (seconds !== null && (prev.seconds === null || seconds < prev.seconds)))
        best.set(side, { side, seconds, loadavg: Math.round(loadavg()[0] * 100) / 100, detail });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return [...best.values()];
}

/** The table of a whole-process run; ratio = PyTorch's best seconds / kioku's best. */
export function formatWhole(results: WholeResult[], steps: number): string {
  const fastest = (prefix: string): number | null => {
    const s = results
      .filter((r) => r.side.startsWith(prefix) && r.seconds !== null)
      .map((r) => r.seconds as number);
    return s.length ? Math.min(...s) : null;
  };
  const k = fastest('kioku');
  const p = fastest('pytorch');
  const lines = [
    `Whole process: ${steps} steps of LSTM 1x${WHOLE_RUN.hidden}, embedding ${WHOLE_RUN.embed}, vocabulary 3000 (generated Japanese text), B=${WHOLE_RUN.batch}, T=${WHOLE_RUN.seq}, validation every ${WHOLE_RUN.validateEvery}, checkpoint every ${WHOLE_RUN.checkpointEvery}`,
    '| side | seconds (spawn to exit, best) | load |',
    '|---|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.side} | ${r.seconds === null ? `failed: ${r.detail}` : r.seconds.toFixed(2)} | ${r.loadavg.toFixed(2)} |`,
    ),
  ];
  if (k !== null && p !== null)
    lines.push(`kioku / PyTorch (speed, PyTorch seconds / kioku seconds): ${(p / k).toFixed(2)}x`);
  return lines.join('\n');
}
