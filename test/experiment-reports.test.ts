// Every `kioku experiment` command, run with tiny budgets: it writes report.html (figures
// inline, the command to reproduce), results.json, and each figure as valid SVG and PNG.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import '../src/index.js';
import { registerExperimentCommands } from '../src/cli/experiment.js';
import { main } from '../src/cli/main.js';

const root = mkdtempSync(join(tmpdir(), 'kioku-experiments-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function run(args: string[]): Promise<void> {
  const program = new Command('kioku').exitOverride();
  registerExperimentCommands(program);
  const log = console.log;
  console.log = () => {}; // keep the test output to the measured numbers
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    console.log = log;
  }
}

interface Results {
  experiment: string;
  command: string;
  seed: number;
  results: Record<string, unknown>;
  figures: { name: string; svg: string; png: string }[];
}

function checkReport(dir: string, experiment: string, figures: string[]): Results {
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
  assert.equal(json.experiment, experiment);
  assert.ok(json.command.startsWith(`kioku experiment ${experiment}`), json.command);
  assert.deepEqual(json.figures.map((f) => f.name).sort(), [...figures].sort());
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.includes(json.command.replace(/&/g, '&amp;')), 'the report shows the command');
  assert.equal((html.match(/<svg/g) ?? []).length >= figures.length, true, 'figures are inline');
  for (const f of json.figures) {
    const svg = readFileSync(join(dir, f.svg), 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'), `${f.svg} is an SVG document`);
    const png = readFileSync(join(dir, f.png));
    assert.deepEqual(
      [...png.subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      `${f.png} has the PNG signature`,
    );
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    assert.ok(width > 100 && height > 100, `${f.png} is ${width}×${height}`);
  }
  console.log(`${experiment}: ${json.figures.length} figures, report ${html.length} bytes`);
  return json;
}

describe('kioku experiment reports', () => {
  it('gradients', async () => {
    const out = join(root, 'gradients');
    await run([
      'experiment',
      'gradients',
      '--hidden',
      '8',
      '--length',
      '6',
      '--batch',
      '2',
      '--jacobian-steps',
      '2',
      '--cells',
      'rnn,lstm',
      '--forget-bias',
      '0,3',
      '--activation',
      'tanh,relu',
      '--out',
      out,
      '--quiet',
    ]);
    const r = checkReport(out, 'gradients', ['grad-norms', 'jacobian-radius', 'gates', 'whh-eigenvalues']);
    const runs = r.results.runs as { label: string; shrink: number }[];
    assert.deepEqual(
      runs.map((x) => x.label),
      ['RNN tanh · pytorch', 'RNN relu · pytorch', 'LSTM · pytorch · b_f=0', 'LSTM · pytorch · b_f=3'],
    );
    assert.ok(runs.every((x) => Number.isFinite(x.shrink)));
  });

  it('clipping', async () => {
    const out = join(root, 'clipping');
    await run([
      'experiment',
      'clipping',
      '--length',
      '8',
      '--hidden',
      '6',
      '--steps',
      '6',
      '--seeds',
      '2',
      '--out',
      out,
      '--quiet',
    ]);
    const r = checkReport(out, 'clipping', ['grad-norms', 'loss', 'divergence']);
    const summary = r.results.summary as { mode: string; runs: number; maxClippedNorm: number }[];
    assert.deepEqual(
      summary.map((s) => s.mode),
      ['none', 'value', 'norm'],
    );
    assert.ok(summary[2].maxClippedNorm <= 1 + 1e-6);
  });

  it('compare', async () => {
    const out = join(root, 'compare');
    await run([
      'experiment',
      'compare',
      '--task',
      'adding',
      '--length',
      '5,8',
      '--cells',
      'rnn,lstm',
      '--budget',
      '120',
      '--steps',
      '4',
      '--eval-every',
      '2',
      '--eval-size',
      '8',
      '--batch',
      '4',
      '--out',
      out,
      '--quiet',
    ]);
    const r = checkReport(out, 'compare', ['learning-curves', 'final', 'time']);
    const table = r.results.table as { length: number; cell: string; hidden: number; params: number }[];
    assert.deepEqual(
      table.map((t) => `${t.length}/${t.cell}`),
      ['5/rnn', '5/lstm', '8/rnn', '8/lstm'],
    );
    for (const t of table)
      assert.ok(Math.abs(t.params - 120) <= 30, `${t.cell}: ${t.params} parameters for a budget of 120`);
  });

  it('truncation', async () => {
    const out = join(root, 'truncation');
    await run([
      'experiment',
      'truncation',
      '--lag',
      '2',
      '--k',
      '2,4',
      '--hidden',
      '6',
      '--updates',
      '6',
      '--batch',
      '3',
      '--eval-length',
      '10',
      '--out',
      out,
      '--quiet',
    ]);
    const r = checkReport(out, 'truncation', ['learning-curves', 'accuracy-vs-k']);
    const rows = r.results.rows as { k: number; reach: number; accuracy: number }[];
    assert.deepEqual(
      rows.map((x) => [x.k, x.reach]),
      [
        [2, 0],
        [4, 0.5],
      ],
    );
  });

  it('bad input exits with a message, not a stack trace', async () => {
    const err = console.error;
    const lines: string[] = [];
    console.error = (m: string) => lines.push(String(m));
    const writes: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (
      writes.push(String(chunk)),
      true
    )) as typeof process.stderr.write;
    try {
      const code = await main(['experiment', 'compare', '--cells', 'rnn,lsmt', '--out', join(root, 'bad')]);
      assert.equal(code, 2); // a bad flag value is a usage error: exit code 2, as argparse and click
    } finally {
      console.error = err;
      process.stderr.write = write;
    }
    assert.ok([...lines, ...writes].join('').includes('expected one of rnn, lstm, gru, got "lsmt"'));
    assert.equal(existsSync(join(root, 'bad')), false);
  });
});
