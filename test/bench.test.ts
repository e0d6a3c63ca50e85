// The benchmark runs end to end on a tiny configuration: children spawn, kioku trains and
// samples, the table and the JSON come out. Numbers are checked for sanity only — timings
// belong in the benchmark itself, never in test assertions. Peers are off: CI has none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TINY } from '../bench/configs.js';
import { generateJapaneseText } from '../bench/japanese-text.js';
import { formatReport, runBench } from '../bench/run.js';

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

test('the generated Japanese text of the large-vocabulary benchmarks has exactly its vocabulary', () => {
  const text = Array.from(generateJapaneseText(20_000, 500, 3));
  assert.equal(text.length, 20_000);
  assert.equal(new Set(text).size, 500);
  assert.deepEqual(Array.from(generateJapaneseText(20_000, 500, 3)), text, 'deterministic for a seed');
  assert.ok(text.includes('。') && text.includes('ア') && text.includes('一'));
});
