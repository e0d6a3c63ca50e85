// The lecture maps (docs/lecture-map.{en,ja}.md) name commands and APIs; every command must
// exist with the options it is given, the exercise commands must run, and the APIs must exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import * as batching from '../src/data/batching.js';
import * as nodeEntry from '../src/entries/node.js';
import * as kioku from '../src/index.js';
import { runCli } from './helpers/cli.js';

const DOCS = ['docs/lecture-map.en.md', 'docs/lecture-map.ja.md'];

/** Every `kioku …` in inline code or at the start of a line of a code block. */
function commandsIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/`(kioku [^`]+)`/g)) out.add(m[1].trim());
  for (const m of text.matchAll(/^(kioku [^#\n]+?)\s*(#.*)?$/gm)) out.add(m[1].trim());
  return [...out];
}

function tokens(cmd: string): string[] {
  return [...cmd.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

/** Walk the command tree along `cmd`; returns a problem or null. */
function validate(program: Command, cmd: string): string | null {
  const t = tokens(cmd).slice(1);
  let c = program;
  let args = 0;
  for (let i = 0; i < t.length; i++) {
    const tok = t[i];
    if (tok.startsWith('--')) {
      const name = tok.split('=')[0];
      const opt = c.options.find((o) => o.long === name);
      if (!opt) return `${cmd}: \`${c.name()}\` has no option ${name}`;
      if ((opt.required || opt.optional) && !tok.includes('=')) i++;
      continue;
    }
    const sub = args === 0 ? c.commands.find((s) => s.name() === tok) : undefined;
    if (sub) c = sub;
    else {
      if (c.registeredArguments.length === 0) return `${cmd}: \`${c.name()}\` takes no argument ${tok}`;
      args++;
    }
  }
  if (c.commands.length > 0 && args === 0) return `${cmd}: \`${c.name()}\` needs a subcommand`;
  return null;
}

describe('lecture map', () => {
  const program = buildProgram();
  for (const file of DOCS) {
    test(`${file}: every command named exists with its options`, () => {
      const cmds = commandsIn(readFileSync(file, 'utf8'));
      assert.ok(cmds.length > 30, `${file}: only ${cmds.length} commands found`);
      const problems = cmds.map((c) => validate(program, c)).filter((p) => p !== null);
      assert.deepEqual(problems, []);
    });
  }

  test('both languages name the same commands', () => {
    const [en, ja] = DOCS.map((f) => new Set(commandsIn(readFileSync(f, 'utf8'))));
    const enOnly = [...en].filter((c) => !ja.has(c) && !/"/.test(c));
    const jaOnly = [...ja].filter((c) => !en.has(c) && !/"/.test(c));
    assert.deepEqual({ enOnly, jaOnly }, { enOnly: [], jaOnly: [] });
  });

  test('the exercise commands in the map run', async () => {
    for (const cmd of commandsIn(readFileSync(DOCS[0], 'utf8')).filter((c) =>
      /^kioku exercise (list|quiz)/.test(c),
    )) {
      const r = await runCli([...tokens(cmd).slice(1), '--lang', 'en']);
      assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    }
  });

  test('the APIs the map names exist', () => {
    const api: Record<string, unknown> = { ...kioku, ...nodeEntry, ...batching };
    for (const name of [
      'RNN',
      'LSTM',
      'GRU',
      'Embedding',
      'Dropout',
      'Linear',
      'clipGradNorm',
      'clipGradValue',
      'createOptimizer',
      'ExponentialLR',
      'StepLR',
      'Adam',
      'RMSprop',
      'softmaxCrossEntropy',
      'mseLoss',
      'bceWithLogits',
      'saveSafetensors',
      'loadSafetensors',
      'padBatch',
      'bucketBatches',
      'RecurrentBase',
    ]) {
      assert.equal(typeof api[name], 'function', `${name} is not exported`);
    }
  });
});
