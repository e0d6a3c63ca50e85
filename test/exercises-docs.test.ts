// The lecture maps (docs/lecture-map.{en,ja}.md) name commands and APIs; every command must
// exist with the options it is given, the exercise commands must run, and the APIs must exist.
// The README and the other docs/*.md: every command in a code block, and every complete one in
// inline code, must exist with its options too.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * The commands of a README-style page: `npx kioku …` / `kioku …` lines of fenced code blocks
 * (a trailing `\` continues the line) and inline code spans that are one whole command;
 * spans that list alternatives (`train|predict`, `train / predict`) or placeholders
 * (`<dir>`, `[--flag]`, `…`) are prose, and so is a bare `kioku <area>` naming a group.
 */
function commandsInPage(text: string): string[] {
  const out = new Set<string>();
  let fence: string | null = null; // the language of the fenced block we are in
  let line = '';
  for (const raw of text.split('\n')) {
    const f = /^```\s*(\w*)/.exec(raw);
    if (f) {
      fence = fence === null ? f[1] : null;
      continue;
    }
    if (fence === null || !['', 'sh', 'bash', 'console'].includes(fence)) continue;
    line += raw;
    if (line.endsWith('\\')) {
      line = `${line.slice(0, -1)} `;
      continue;
    }
    const m = /^(?:\$ )?(?:npx )?(kioku [^#]+?)\s*(#.*)?$/.exec(line.trim());
    if (m) out.add(m[1].replace(/\s+/g, ' '));
    line = '';
  }
  for (const m of text.matchAll(/`(?:npx )?(kioku [^`]+)`/g))
    if (!/[|<>[\]…]| \/ /.test(m[1]) && tokens(m[1]).length > 2) out.add(m[1].trim());
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
      if (name === '--help') return null; // commander's own, on every command and group
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

  const pages = [
    'README.md',
    ...readdirSync('docs')
      .filter((f) => f.endsWith('.md') && !DOCS.includes(`docs/${f}`))
      .map((f) => `docs/${f}`),
  ];
  test('README and docs/*.md: every command named exists with its options', () => {
    let n = 0;
    const problems: string[] = [];
    for (const page of pages) {
      const cmds = commandsInPage(readFileSync(page, 'utf8'));
      n += cmds.length;
      for (const c of cmds) {
        const p = validate(program, c);
        if (p) problems.push(`${page}: ${p}`);
      }
    }
    console.log(`  ${n} commands in ${pages.length} pages`);
    assert.ok(n > 60, `only ${n} commands found`);
    assert.deepEqual(problems, []);
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
