// The benchmark runs end to end on a tiny configuration: children spawn, kioku trains and
// samples, the table and the JSON come out. Numbers are checked for sanity only — timings
// belong in the benchmark itself, never in test assertions. Peers are off: CI has none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TINY } from '../bench/configs.js';
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
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(report)));
});
