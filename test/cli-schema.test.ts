// One grammar, one option schema per command: `kioku <area> <verb>` with the old forms as
// aliases, --config for every command (unknown keys and wrong types refused, naming the
// key), --json on every command that prints a result, usage errors with exit code 2, and
// --cell choices read from the cell registry.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import '../src/index.js';
import { buildProgram } from '../src/cli/main.js';
import { Command } from 'commander';
import { float, int, resolveValues, str, choice, flag, list, defineCommand } from '../src/cli/schema.js';
import { cellSpec, registerCell, unregisterCell } from '../src/nn/cells.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-schema-'));
const text = join(dir, 'text.txt');
writeFileSync(text, 'the cat sat on the mat. '.repeat(40));
const tiny = [
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
  '--steps',
  '3',
  '--quiet',
];

describe('option schema', () => {
  const schema = {
    lr: float('learning rate', { min: 0, minExclusive: true, default: 0.1 }),
    steps: int('steps', { min: 1 }),
    cell: choice('cell', ['lstm', 'gru'] as const, { default: 'lstm' }),
    out: str('run directory', { default: 'runs/x' }),
    quiet: flag('no output'),
  };
  const none = () => ({ given: false, value: undefined });

  test('flags win over the config file, the file over the defaults', () => {
    const cfg = join(dir, 'a.json');
    writeFileSync(cfg, JSON.stringify({ lr: 0.5, steps: 7, cell: 'gru' }));
    const v = resolveValues(schema, (k) => (k === 'lr' ? { given: true, value: 0.25 } : none()), cfg);
    assert.deepEqual(v, { lr: 0.25, steps: 7, cell: 'gru', out: 'runs/x', quiet: false });
    const d = resolveValues(schema, none, undefined);
    assert.deepEqual(d, { lr: 0.1, steps: undefined, cell: 'lstm', out: 'runs/x', quiet: false });
  });

  test('config files: unknown keys and wrong types are refused, naming the key', () => {
    const cases: [unknown, RegExp][] = [
      [{ lR: 1 }, /unknown key "lR" \(known: lr, steps, cell, out, quiet\)/],
      [{ lr: '0.1' }, /"lr": expected a number, got "0.1"/],
      [{ lr: 0 }, /"lr": expected a number > 0, got 0/],
      [{ steps: 2.5 }, /"steps": expected an integer, got 2.5/],
      [{ cell: 'rnn' }, /"cell": expected one of lstm, gru, got "rnn"/],
      [{ quiet: 'yes' }, /"quiet": expected true or false, got "yes"/],
      [[1, 2], /expected a JSON object/],
    ];
    for (const [body, re] of cases) {
      const f = join(dir, 'bad.json');
      writeFileSync(f, JSON.stringify(body));
      assert.throws(() => resolveValues(schema, none, f), re);
    }
    assert.throws(
      () => resolveValues(schema, none, join(dir, 'nope.json')),
      /cannot read config file .*nope\.json: no such file/,
    );
  });

  test('a switch on by default is the flag --no-<name>, and its help says the flag turns it off', async () => {
    let got: unknown;
    const program = new Command('t').exitOverride().configureOutput({ writeErr: () => {} });
    const cmd = defineCommand({
      name: 'y',
      description: 'y',
      options: { skip: flag('skip connections', { default: true }) },
      run: (o) => (got = o.skip),
    }).attach(program);
    const opt = cmd.options.find((o) => o.long === '--no-skip');
    assert.ok(opt, 'a --no-skip option');
    assert.equal(opt.description, 'skip connections (on by default; this flag turns it off)');
    await program.parseAsync(['y'], { from: 'user' });
    assert.equal(got, true);
    await program.parseAsync(['y', '--no-skip'], { from: 'user' });
    assert.equal(got, false);
  });
});

describe('list options', () => {
  const lists = {
    k: list('sizes', int('size', { min: 1 }), { default: [5] }),
    runs: list('checkpoints', str('path'), { arg: 'paths', variadic: true }),
  };
  async function parse(argv: string[]): Promise<unknown> {
    let got: unknown;
    const program = new Command('t').exitOverride().configureOutput({ writeErr: () => {} });
    defineCommand({
      name: 'x',
      description: 'x',
      options: lists,
      run: (o) => (got = { k: o.k, runs: o.runs }),
    }).attach(program);
    await program.parseAsync(['x', ...argv], { from: 'user' });
    return got;
  }

  test('comma-separated by default; variadic takes every word up to the next flag', async () => {
    assert.deepEqual(await parse([]), { k: [5], runs: undefined });
    assert.deepEqual(await parse(['--k', '1,2', '--runs', 'a,b.safetensors', 'c.safetensors', '--k', '3']), {
      k: [3],
      runs: ['a,b.safetensors', 'c.safetensors'],
    });
    assert.deepEqual(await parse(['--runs', 'a', '--k', '2', '--runs', 'b']), { k: [2], runs: ['a', 'b'] });
    await assert.rejects(parse(['--k', '1,x']), /expected an integer, got "x"/);
  });

  test('in a config file: a JSON array', () => {
    const cfg = join(dir, 'lists.json');
    writeFileSync(cfg, JSON.stringify({ k: [7, 8], runs: ['p', 'q'] }));
    assert.deepEqual(
      resolveValues(lists, () => ({ given: false, value: undefined }), cfg),
      { k: [7, 8], runs: ['p', 'q'] },
    );
    writeFileSync(cfg, JSON.stringify({ k: [0] }));
    assert.throws(
      () => resolveValues(lists, () => ({ given: false, value: undefined }), cfg),
      /"k": expected an integer ≥ 1, got 0/,
    );
  });
});

describe('kioku <area> <verb>', () => {
  test('every command has --config and --json; the old forms are aliases', () => {
    const program = buildProgram();
    const leaves: string[] = [];
    const walk = (c: typeof program, path: string[]): void => {
      if (c.commands.length === 0) {
        const longs = c.options.map((o) => o.long);
        assert.ok(longs.includes('--config'), `${path.join(' ')} has --config`);
        assert.ok(longs.includes('--json'), `${path.join(' ')} has --json`);
        leaves.push(path.join(' '));
      }
      for (const s of c.commands) walk(s, [...path, s.name()]);
    };
    walk(program, []);
    for (const cmd of ['charlm train', 'charlm sample', 'charlm demo', 'train char', 'sample', 'demo'])
      assert.ok(leaves.includes(cmd), `${cmd} in ${leaves.join(', ')}`);
  });

  test('charlm train --json prints the result; `train char` is the same command', async () => {
    const a = await runCli(['charlm', 'train', ...tiny, '--out', join(dir, 'a'), '--json']);
    assert.equal(a.code, 0, a.stderr);
    const ra = JSON.parse(a.stdout);
    assert.equal(ra.steps, 3);
    assert.ok(Number.isFinite(ra.valLoss) && ra.valLoss > 0, a.stdout);
    const b = await runCli(['train', 'char', ...tiny, '--out', join(dir, 'b'), '--json']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(
      JSON.parse(b.stdout).valLoss,
      ra.valLoss,
      'the alias runs the same command (same seed, same loss)',
    );
    const s = await runCli(['charlm', 'sample', '--model', join(dir, 'a'), '--length', '5', '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(Array.from(JSON.parse(s.stdout).text).length, 5);
  });

  test('--config works for sample too; a wrong type in it is a usage error (exit 2)', async () => {
    const cfg = join(dir, 'sample.json');
    writeFileSync(cfg, JSON.stringify({ model: join(dir, 'a'), length: 4, seed: 2 }));
    const s = await runCli(['sample', '--config', cfg, '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(Array.from(JSON.parse(s.stdout).text).length, 4);
    writeFileSync(cfg, JSON.stringify({ model: join(dir, 'a'), length: 'long' }));
    const bad = await runCli(['sample', '--config', cfg]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"length": expected an integer, got "long"/);
  });

  test('usage errors exit with 2, run-time errors with 1', async () => {
    const cases: [string[], number, RegExp][] = [
      [['charlm', 'train', '--bogus'], 2, /unknown option '--bogus'/],
      [['charlm', 'train', '--lr', 'fast'], 2, /--lr.*expected a number, got "fast"/],
      [['charlm', 'train', '--cell', 'lstn'], 2, /expected one of rnn, lstm, gru/],
      [['charlm', 'train', '--data', text], 2, /give --steps N or --time SECONDS/],
      [['charlm', 'sample'], 2, /missing --model/],
      [['charlm', 'frobnicate'], 2, /unknown command/],
      [['charlm', 'sample', '--model', join(dir, 'nothing-here')], 1, /not found/],
    ];
    for (const [args, code, re] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });
});

describe('--cell reads the cell registry', () => {
  registerCell({ ...cellSpec('rnn'), name: 'toy-rnn', title: 'toy RNN', create: cellSpec('rnn').create });
  after(() => unregisterCell('toy-rnn'));
  test('a cell registered in code is a --cell choice', async () => {
    const r = await runCli([
      'charlm',
      'train',
      ...tiny,
      '--cell',
      'toy-rnn',
      '--out',
      join(dir, 'toy'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).cell, 'toy-rnn');
  });
});
