// The benchmark runs end to end on a tiny configuration: children spawn, kioku trains and
// samples, the table and the JSON come out. Numbers are checked for sanity only — timings
// belong in the benchmark itself, never in test assertions. Peers are off: CI has none.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configByName, TINY } from '../bench/configs.js';
import { generateJapaneseText } from '../bench/japanese-text.js';
import { formatReport, runBench } from '../bench/run.js';
import { formatSweep, runSweep, type SweepAxis, sweepAxes, writeSweepFigures } from '../bench/sweep.js';

test('npm run bench works end to end on a tiny configuration', () => {
  const report = runBench({
    configs: [TINY],
    seconds: 0.05,
    threads: [1, 2],
    torchThreads: [2],
    peers: false,
    only: null,
    noPack: false,
    json: false,
    long: false,
    repeat: 1,
    python: '/usr/bin/python3',
    baseline: null,
    profile: true,
  });
  const row = report.configs[0] as Record<string, Record<string, unknown>>;
  for (const key of ['kioku x1', 'kioku x2']) {
    const r = row[key];
    assert.equal(r.error, undefined, `${key}: ${String(r.error)}`);
    for (const metric of ['trainTokensPerSec', 'sampleCharsPerSec', 'peakRssMB', 'finalLoss']) {
      const v = r[metric];
      assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${key} ${metric} = ${String(v)}`);
    }
    console.log(
      `${key}: ${String(r.backend)}; train ${Math.round(r.trainTokensPerSec as number)} tokens/s, loss ${(r.finalLoss as number).toFixed(3)}`,
    );
  }
  assert.match(String(row['kioku x2'].backend), /2 threads/);
  const sg = report.sgemm['kioku x1'].sgemm as Record<string, number>;
  assert.ok(
    Object.values(sg).every((g) => g > 0),
    'SGEMM figures present',
  );
  const table = formatReport(report);
  console.log(table);
  assert.match(table, /\| tiny \| [\d,]+ \| [\d,]+ \|/);
  assert.match(table, /pytorch: not found/);
  // --profile: the per-kernel breakdown of a training step (GEMMs by shape, the rest outside).
  const profile = row['kioku x1'].profile as { kernel: string; msPerStep: number }[];
  assert.ok(Array.isArray(profile) && profile.some((s) => /^gemm [NT]{2} \d+x\d+x\d+$/.test(s.kernel)));
  assert.ok(
    profile.some((s) => s.kernel === 'adamUpdate'),
    'the fused optimizer kernel runs',
  );
  assert.match(table, /tiny kioku x1: [\d.]+ ms per training step \(mean\), by kernel/);
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(report)));
});

test("the bench's table judges issue #16's goals: training ratio per configuration, sampling, memory", () => {
  // A report as runBench returns it, with figures chosen to land on each side of the goals.
  const side = (train: number, sample: number, rss: number): Record<string, number> => ({
    trainTokensPerSec: train,
    sampleCharsPerSec: sample,
    peakRssMB: rss,
  });
  const table = formatReport({
    machine: { node: 'v20', cpu: 'test', cores: 2, loadavg: [0, 0, 0] },
    peersFound: { pytorch: '1.13' },
    sgemm: {},
    configs: [
      { name: 'S', label: 'S', 'kioku x1': side(1600, 900, 200), 'pytorch x1': side(1000, 100, 250) },
      { name: 'M', label: 'M', 'kioku x1': side(1300, 700, 300), 'pytorch x1': side(1000, 100, 250) },
      { name: 'L', label: 'L', 'kioku x1': side(500, 10, 400), 'pytorch x1': side(1000, 10, 600) },
    ],
  });
  console.log(table);
  assert.match(table, /\| S \| 1,600 \| 1,000 \| – \| – \| 1.60x \| met \(>= 1.5x\) \|/);
  assert.match(table, /\| M \| 1,300 \| 1,000 \| – \| – \| 1.30x \| floor met \(>= 1.5x, floor 1.2x\) \|/);
  assert.match(table, /\| L \| 500 \| 1,000 \| – \| – \| 0.50x \| not met \(>= 0.8x\) \|/);
  // Sampling: S 9x (met), M 7x (not met); memory: S and L below PyTorch's, M above.
  assert.match(table, /\| S \| 900 \| 100 \| – \| 9.00x \| met \| – \| 200 \| 250 \| met \|/);
  assert.match(table, /\| M \| 700 \| 100 \| – \| 7.00x \| not met \| – \| 300 \| 250 \| not met \|/);
  assert.match(table, /\| L \| 10.0 \| 10.0 \| – \| 1.00x \| – \| – \| 400 \| 600 \| met \|/);
});

test('the generated Japanese text of the large-vocabulary benchmarks has exactly its vocabulary', () => {
  const text = Array.from(generateJapaneseText(20_000, 500, 3));
  assert.equal(text.length, 20_000);
  assert.equal(new Set(text).size, 500);
  assert.deepEqual(Array.from(generateJapaneseText(20_000, 500, 3)), text, 'deterministic for a seed');
  assert.ok(text.includes('。') && text.includes('ア') && text.includes('一'));
});

test('npm run bench -- --sweep: points measured in children, the table and the figure written', async () => {
  const out = mkdtempSync(join(tmpdir(), 'kioku-sweep-'));
  try {
    // A tiny stand-in for the hidden-size sweep (the real axes take minutes), and the
    // checkpointing variant of a configuration by name.
    const axis: SweepAxis = {
      name: 'hidden',
      title: 'hidden size H',
      values: [8, 16],
      logX: true,
      config: (v) => ({ ...configByName('tiny/k2'), name: `H=${v}`, hidden: v }),
    };
    assert.equal(configByName('tiny/k2').gradCheckpoint, 2);
    assert.throws(() => configByName('Q/k2'), /unknown configuration 'Q\/k2'/);
    assert.throws(
      () => sweepAxes(['depth']),
      /unknown sweep 'depth' \(known: hidden, batch, seq, vocab, checkpoint, all\)/,
    );
    assert.deepEqual(sweepAxes(['checkpoint'], [0, 20])[0].values, [0, 20]);
    assert.throws(() => sweepAxes(['hidden', 'seq'], [64]), /--values needs exactly one --sweep axis, got 2/);
    const r = runSweep({ axes: [axis], seconds: 0.05, threads: 1, torchThreads: 1, repeat: 1, python: null });
    for (const p of r.points) {
      assert.equal(p.error, undefined, String(p.error));
      assert.ok(p.tokensPerSec! > 0 && p.tokensPerCpuSec! > 0 && p.peakRssMB! > 0, JSON.stringify(p));
    }
    assert.deepEqual(
      r.points.map((p) => `${p.axis}=${p.value} ${p.side}`),
      ['hidden=8 kioku', 'hidden=16 kioku'],
    );
    const table = formatSweep(r);
    console.log(table);
    assert.match(table, /\| 16 \| [\d,]+ \| – \| [\d,]+ \| – \| – \| [\d,]+ \| – \|/);
    const [speed, memory] = await writeSweepFigures(r, out);
    assert.match(readFileSync(speed, 'utf8'), /<svg[\s\S]*training tokens per CPU-second/);
    assert.match(readFileSync(memory, 'utf8'), /<svg[\s\S]*peak RSS/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
