// What every training command guarantees about its run directory (issue 11, "Done when"):
// a fresh nested --out is created; a non-empty one is refused without --resume/--overwrite;
// a second run on a directory in use is refused (a dead process's lock is taken over);
// Ctrl-C in a real child process saves a checkpoint and prints the resume command, and the
// resume continues bit-exactly; a resume with a changed --lr is refused by name; resuming a
// finished run changes nothing.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadCheckpoint } from '../src/node/checkpoint-file.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-runs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const text = join(dir, 'text.txt');
writeFileSync(text, 'the quick brown fox jumps over the lazy dog. '.repeat(80));
const tinyChar = [
  'train',
  'char',
  '--data',
  text,
  '--hidden',
  '8',
  '--embed',
  '4',
  '--batch',
  '2',
  '--seq',
  '8',
];
const tinyHandwriting = [
  'handwriting',
  'train',
  '--cell',
  'gru',
  '--hidden',
  '6',
  '--layers',
  '1',
  '--mixtures',
  '2',
  '--batch',
  '2',
  '--seq-len',
  '20',
  '--eval-every',
  '0',
  '--quiet',
];

/** Largest |a − b| over every weight of two checkpoints' models. */
function weightDiff(a: string, b: string): number {
  const wa = loadCheckpoint(a).model;
  const wb = loadCheckpoint(b).model;
  let d = 0;
  for (const k of Object.keys(wa))
    for (let i = 0; i < wa[k].size; i++) d = Math.max(d, Math.abs(wa[k].data[i] - wb[k].data[i]));
  return d;
}

function child(args: string[]): {
  proc: ChildProcess;
  done: Promise<{ code: number | null; stderr: string }>;
} {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join('test', 'helpers', 'cli-child.ts'), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  proc.stdout!.on('data', () => {});
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    proc.on('exit', (code) => resolve({ code, stderr })),
  );
  return { proc, done };
}

async function waitFor(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('every training command: a fresh nested --out, refused reuse', () => {
  const commands: [string, string[]][] = [
    ['train char', [...tinyChar, '--steps', '6', '--quiet']],
    ['handwriting train', [...tinyHandwriting, '--steps', '3']],
    [
      'sentiment train',
      ['sentiment', 'train', '--train-size', '24', '--test-size', '8', '--eval-size', '8', '--max-len', '12'],
    ],
    [
      'forecast train',
      [
        'forecast',
        'train',
        '--epochs',
        '1',
        '--hidden',
        '3',
        '--stride',
        '40',
        '--lookback',
        '8',
        '--horizon',
        '2',
      ],
    ],
    [
      'seq2seq train',
      [
        'seq2seq',
        'train',
        '--train-size',
        '30',
        '--test-size',
        '5',
        '--epochs',
        '1',
        '--embed',
        '4',
        '--hidden',
        '4',
      ],
    ],
    ['word2vec train', ['word2vec', 'train', '--docs', '6', '--dim', '4', '--min-count', '1']],
  ];
  for (const [name, args] of commands) {
    test(name, async () => {
      const out = join(dir, name.replace(/ /g, '-'), 'nested', 'run');
      const r = await runCli([...args, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(existsSync(join(out, 'model.safetensors')) && existsSync(join(out, 'train-log.json')));
      assert.ok(!existsSync(join(out, '.kioku-lock')), 'the lock is released');
      const again = await runCli([...args, '--out', out]);
      assert.equal(again.code, 1);
      assert.match(
        again.stderr,
        /is not empty .*give --resume to continue the run in it, --overwrite to start over/,
      );
      const over = await runCli([...args, '--out', out, '--overwrite']);
      assert.equal(over.code, 0, over.stderr);
      const more = args.includes('--steps') ? ['--steps', '9'] : ['--epochs', '2'];
      const lr = await runCli([...args, '--out', out, '--resume', ...more, '--lr', '0.05']);
      assert.equal(lr.code, 1);
      console.log(`  ${name}: ${lr.stderr.trim()}`);
      assert.match(
        lr.stderr,
        /--resume: .* was trained with other settings.*lr was .*, now 0\.05.*--allow-change lr/,
      );
      const log = readFileSync(join(out, 'train-log.json'), 'utf8');
      const done = await runCli([...args, '--out', out, '--resume']);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stderr + done.stdout, /already finished \(step \d+ of \d+\); nothing to do/);
      assert.equal(
        readFileSync(join(out, 'train-log.json'), 'utf8'),
        log,
        'a finished run is left as it was',
      );
      assert.ok(!log.includes('NaN'));
    });
  }
});

describe('Ctrl-C, resume, lock (real child processes)', () => {
  test('SIGINT saves a checkpoint and prints the resume command; the resume is bit-exact; a second run is refused meanwhile', async () => {
    const steps = '1500';
    const args = [
      ...tinyChar,
      '--steps',
      steps,
      '--checkpoint-every',
      '25',
      '--validate-every',
      '25',
      '--quiet',
    ];
    const out = join(dir, 'interrupted', 'run');
    const a = child([...args, '--out', out]);
    await waitFor(() => existsSync(join(out, 'checkpoints')), 'the first checkpoint');
    // While it runs, the directory is locked.
    const second = await runCli([...args, '--out', out, '--resume']);
    assert.equal(second.code, 1);
    console.log(`  second run: ${second.stderr.trim()}`);
    assert.match(second.stderr, /is in use by another kioku run \(pid \d+, started .*\)/);
    a.proc.kill('SIGINT');
    const r = await a.done;
    console.log(`  interrupted run: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    assert.equal(r.code, 130, r.stderr);
    const m = /Resume with:\n {2}(kioku .*)\n/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(m[1], ['kioku', ...args, '--out', out, '--resume'].join(' '));
    const stoppedAt = loadCheckpoint(join(out, 'model.safetensors')).step;
    assert.ok(stoppedAt < Number(steps), `stopped at ${stoppedAt}`);
    // Resume with exactly the printed command.
    const resumed = await runCli(m[1].split(' ').slice(1));
    assert.equal(resumed.code, 0, resumed.stderr);
    const straightOut = join(dir, 'straight');
    assert.equal((await runCli([...args, '--out', straightOut])).code, 0);
    const d = weightDiff(join(out, 'model.safetensors'), join(straightOut, 'model.safetensors'));
    console.log(
      `  stopped at step ${stoppedAt} of ${steps}; resumed vs straight: max abs weight difference ${d}`,
    );
    assert.equal(d, 0);
  });

  test('Ctrl-C in `kioku demo` (no --resume) keeps the model and names the command that samples from it', async () => {
    const out = join(dir, 'demo-interrupted');
    const a = child(['demo', '--steps', '100000', '--quiet', '--out', out]);
    await waitFor(() => existsSync(join(out, '.kioku-lock')), 'the demo to start');
    await new Promise((r) => setTimeout(r, 1500));
    a.proc.kill('SIGINT');
    const r = await a.done;
    console.log(`  interrupted demo: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    assert.equal(r.code, 130, r.stderr);
    assert.doesNotMatch(r.stderr, /--resume/);
    const m = /demo interrupted at step \d+; .*\n {2}kioku (charlm sample --model \S+)\n/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const sampled = await runCli([...m[1].split(' '), '--length', '20']);
    assert.equal(sampled.code, 0, sampled.stderr);
    assert.ok(sampled.stdout.length >= 20, sampled.stdout);
  });

  test('the lock of a process that no longer exists is taken over', async () => {
    const out = join(dir, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.kioku-lock'), JSON.stringify({ pid, started: 'earlier', command: 'kioku …' }));
    const r = await runCli([...tinyChar, '--steps', '2', '--quiet', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(out, '.kioku-lock')));
  });
});
