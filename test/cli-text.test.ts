// The text-generation commands: the main job (`kioku demo`), train/sample round trip,
// and every error path the issue names (one clear line, non-zero exit, nothing half-written).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { saveSafetensors } from '../src/node/safetensors-file.js';
import '../src/index.js';
import { getBackend } from '../src/tensor/current-backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { runCli } from './helpers/cli.js';

// The default backend (WASM SIMD where it runs), as users get it.
console.log(`  backend: ${getBackend().name}`);
const dir = mkdtempSync(join(tmpdir(), 'kioku-cli-'));
const text = join(dir, 'text.txt');
writeFileSync(text, 'hello world, hello kioku.\n'.repeat(60));
const tiny = ['--hidden', '8', '--embed', '4', '--batch', '2', '--seq', '8', '--quiet'];

/** No temp files or partial checkpoints anywhere under `d`. */
function assertNoLeftovers(d: string): void {
  if (!existsSync(d)) return;
  const files = readdirSync(d, { recursive: true }).map(String);
  assert.deepEqual(
    files.filter((f) => f.endsWith('.tmp')),
    [],
    'temp files left behind',
  );
}

describe('kioku train char / sample', () => {
  test('trains, saves, and sample loads what it saved (also beam search)', async () => {
    const out = join(dir, 'm1');
    const r = await runCli([
      'train',
      'char',
      '--data',
      text,
      ...tiny,
      '--steps',
      '6',
      '--validate-every',
      '3',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trained 6 steps .* validation loss [\d.]+ nats\/char/);
    for (const f of ['model.safetensors', 'train-log.json', 'loss.svg', 'loss.png'])
      assert.ok(existsSync(join(out, f)), f);
    assert.ok(readFileSync(join(out, 'loss.svg'), 'utf8').startsWith('<svg'));
    assert.deepEqual(
      [...readFileSync(join(out, 'loss.png')).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''),
      'PNG',
    );
    const s = await runCli(['sample', '--model', out, '--prime', 'hel', '--length', '20', '--seed', '3']);
    assert.equal(s.code, 0, s.stderr);
    assert.ok(s.stdout.startsWith('hel') && Array.from(s.stdout.trimEnd()).length === 23, s.stdout);
    assert.match(s.stderr, /log p = -[\d.]+ nats, perplexity [\d.]+ per character/);
    const b = await runCli(['sample', '--model', out, '--prime', 'hel', '--length', '10', '--beam', '4']);
    assert.equal(b.code, 0, b.stderr);
    const again = await runCli([
      'sample',
      '--model',
      join(out, 'model.safetensors'),
      '--prime',
      'hel',
      '--length',
      '20',
      '--seed',
      '3',
    ]);
    assert.equal(again.stdout, s.stdout, 'sampling under a seed is deterministic');
    const cfgFile = join(dir, 'cfg.json');
    writeFileSync(cfgFile, JSON.stringify({ hidden: 6, steps: 2, cell: 'gru' }));
    const c = await runCli([
      'train',
      'char',
      '--data',
      text,
      ...tiny,
      '--config',
      cfgFile,
      '--hidden',
      '5',
      '--out',
      join(dir, 'm2'),
    ]);
    assert.equal(c.code, 0, c.stderr);
    const log = JSON.parse(readFileSync(join(dir, 'm2', 'train-log.json'), 'utf8'));
    assert.equal(log.config.hidden, 5, 'flags win over the config file');
    assert.equal(log.config.cell, 'gru');
    assert.equal(log.config.steps, 2);
  });

  const model = join(dir, 'm1');
  const bad: [string, string[], RegExp][] = [
    [
      'missing data file',
      ['train', 'char', '--data', join(dir, 'nope.txt'), '--steps', '1', ...tiny, '--out', join(dir, 'x1')],
      /cannot read data file .*nope\.txt: no such file or folder/,
    ],
    [
      'empty data file',
      ['train', 'char', '--data', join(dir, 'empty.txt'), '--steps', '1', ...tiny, '--out', join(dir, 'x2')],
      /is empty/,
    ],
    [
      'binary data file',
      ['train', 'char', '--data', join(dir, 'bin.dat'), '--steps', '1', ...tiny, '--out', join(dir, 'x3')],
      /looks binary|not valid UTF-8/,
    ],
    [
      'non-UTF-8 data file',
      ['train', 'char', '--data', join(dir, 'latin1.txt'), '--steps', '1', ...tiny, '--out', join(dir, 'x4')],
      /not valid UTF-8/,
    ],
    [
      '--seq 0',
      ['train', 'char', '--data', text, '--steps', '1', ...tiny, '--seq', '0', '--out', join(dir, 'x5')],
      /--seq.*expected an integer in \[1/,
    ],
    [
      'no budget',
      ['train', 'char', '--data', text, ...tiny, '--out', join(dir, 'x6')],
      /give --steps N or --time SECONDS/,
    ],
    [
      'unknown flag',
      ['train', 'char', '--data', text, '--steps', '1', '--bogus'],
      /unknown option '--bogus'/,
    ],
    [
      'config unknown key',
      [
        'train',
        'char',
        '--data',
        text,
        '--steps',
        '1',
        '--config',
        join(dir, 'badcfg.json'),
        '--out',
        join(dir, 'x7'),
      ],
      /unknown key "hiddenSize"/,
    ],
    ['missing model dir', ['sample', '--model', join(dir, 'nomodel')], /model .*nomodel not found/],
    ['model dir without a model', ['sample', '--model', join(dir, 'emptydir')], /has no model.safetensors/],
    [
      'corrupt model',
      ['sample', '--model', join(dir, 'corrupt.safetensors')],
      /loadCheckpoint: .*corrupt\.safetensors/,
    ],
    [
      'foreign safetensors',
      ['sample', '--model', join(dir, 'foreign.safetensors')],
      /foreign file: no kioku-checkpoint metadata/,
    ],
    [
      'prime of unknown characters',
      ['sample', '--model', model, '--prime', 'ZZZ'],
      /no character the model knows.*"Z" \(U\+005A\)/,
    ],
    [
      'negative temperature',
      ['sample', '--model', model, '--temperature', '-1'],
      /--temperature.*expected a number ≥ 0/,
    ],
    ['--beam 0', ['sample', '--model', model, '--beam', '0'], /--beam.*expected an integer in \[1/],
  ];
  test('setup of bad inputs', () => {
    writeFileSync(join(dir, 'empty.txt'), '');
    writeFileSync(join(dir, 'bin.dat'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    writeFileSync(join(dir, 'badcfg.json'), JSON.stringify({ hiddenSize: 3 }));
    mkdirSync(join(dir, 'emptydir'), { recursive: true });
    const good = readFileSync(join(model, 'model.safetensors'));
    writeFileSync(join(dir, 'corrupt.safetensors'), good.subarray(0, good.length - 100));
    saveSafetensors(join(dir, 'foreign.safetensors'), { w: new Tensor(new Float32Array(4), [2, 2]) });
  });
  for (const [name, args, re] of bad) {
    test(`error: ${name}`, async () => {
      const r = await runCli(args);
      assert.notEqual(r.code, 0, `exit code for ${name}`);
      assert.match(r.stderr, re);
      assert.ok(
        !r.stderr.includes('uncaught') && !r.stderr.includes('    at '),
        `a clear message, not a stack trace:\n${r.stderr}`,
      );
      assertNoLeftovers(dir);
    });
  }
});

describe('kioku demo (the main job)', () => {
  test('trains on the built-in corpus with a tiny budget, saves, plots and samples', async () => {
    const out = join(dir, 'demo');
    const r = await runCli(['demo', '--steps', '2', '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trained 2 steps/);
    assert.match(r.stdout, /sample, temperature 0.5/);
    assert.match(r.stdout, /beam search, width 8 \(log p = -[\d.]+ nats/);
    for (const f of ['model.safetensors', 'loss.svg', 'loss.png', 'train-log.json'])
      assert.ok(existsSync(join(out, f)), f);
    const s = await runCli(['sample', '--model', out, '--length', '10']);
    assert.equal(s.code, 0, s.stderr);
    // outside its own runs/demo, the demo does not replace a run unless told
    const again = await runCli(['demo', '--steps', '1', '--out', out, '--quiet']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not empty .*--overwrite to start over/);
    const over = await runCli(['demo', '--steps', '1', '--out', out, '--quiet', '--overwrite']);
    assert.equal(over.code, 0, over.stderr);
    assert.match(over.stdout, /trained 1 steps/);
  });
});
