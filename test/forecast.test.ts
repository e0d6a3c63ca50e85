// Forecasting: windowing, normalisation, Mackey–Glass, linear AR, a learning check on a
// sine wave (direct and recursive), save/load/predict, figure, and the commands' errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../src/index.js';
import {
  denormalize,
  fitNormalizer,
  mackeyGlass,
  makeWindows,
  normalize,
  usBirths,
} from '../src/wings/forecast/series.js';
import { errors, LinearAR } from '../src/wings/forecast/model.js';
import { forecastFigure, forecastFrom, loadForecaster, trainForecast } from '../src/wings/forecast/train.js';
import { saveTaskModel } from '../src/wings/taskfile.js';
import { vegaLiteToSvg } from '../src/node/plot.js';
import { Rng } from '../src/util/rng.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-fc-'));

test('windows: lookback, horizon, stride', () => {
  const w = makeWindows([1, 2, 3, 4, 5, 6, 7], { lookback: 3, horizon: 2, stride: 2 });
  assert.equal(w.count, 2);
  assert.deepEqual(Array.from(w.X), [1, 2, 3, 3, 4, 5]);
  assert.deepEqual(Array.from(w.Y), [4, 5, 6, 7]);
  assert.throws(() => makeWindows([1, 2], { lookback: 3, horizon: 1 }), /need at least/);
  assert.throws(() => makeWindows([1, 2, 3, 4], { lookback: 0, horizon: 1 }), /lookback must be/);
});

test('normalisation round trip', () => {
  const x = [3, 5, 7, 9];
  const n = fitNormalizer(x);
  assert.equal(n.mean, 6);
  const back = denormalize(normalize(x, n), n);
  assert.ok(errors(back, x).rmse < 1e-12);
});

test('Mackey–Glass τ=17: deterministic, bounded, chaotic-looking (not periodic at short lags)', () => {
  const a = mackeyGlass({ n: 1000 });
  const b = mackeyGlass({ n: 1000 });
  assert.deepEqual(Array.from(a), Array.from(b));
  const min = Math.min(...a);
  const max = Math.max(...a);
  console.log(
    `  range [${min.toFixed(3)}, ${max.toFixed(3)}], x[0..3] = ${Array.from(a.slice(0, 3), (v) => v.toFixed(4)).join(' ')}`,
  );
  assert.ok(min > 0.2 && max < 1.5 && max - min > 0.8);
});

test('US births: 7,305 days from the npm data set', () => {
  const { values, dates } = usBirths();
  assert.equal(values.length, 7305);
  assert.equal(dates[0], '1969-01-01');
  assert.ok(values.every((v) => v > 5000 && v < 15000));
});

test('linear AR recovers an exact AR(2) process', () => {
  const rng = new Rng(9);
  const x = [1, 0.5];
  for (let t = 2; t < 400; t++) x.push(0.6 * x[t - 1] - 0.3 * x[t - 2] + 0.1 * rng.normal());
  const w = makeWindows(x, { lookback: 2, horizon: 1 });
  const ar = LinearAR.fit(w.X, w.Y, w.count, 2, 1, 0);
  // x_t = −0.3·x_{t−2} + 0.6·x_{t−1} + white noise
  console.log(`  fitted weights ${Array.from(ar.weights[0], (v) => v.toFixed(3)).join(' ')}`);
  assert.ok(Math.abs(ar.weights[0][0] + 0.3) < 0.05 && Math.abs(ar.weights[0][1] - 0.6) < 0.05);
});

const sine = Float64Array.from(
  { length: 600 },
  (_, t) => 10 + 3 * Math.sin((2 * Math.PI * t) / 25) + Math.sin((2 * Math.PI * t) / 7),
);

for (const mode of ['direct', 'recursive'] as const) {
  test(`learning check: LSTM (${mode}) beats persistence on a two-tone sine`, async () => {
    const r = await trainForecast({
      values: sine,
      series: 'mackey-glass',
      mode,
      lookback: 16,
      horizon: 5,
      hiddenSize: 12,
      epochs: 6,
      lr: 0.01,
      batchSize: 16,
    });
    assert.ok(!r.finished);
    const by = Object.fromEntries(r.report.scores.map((s) => [s.method.split(' ')[0], s.all.rmse]));
    console.log(
      `  ${mode}: RMSE@1..5 ${Object.entries(by)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ')}; val MSE ${r.valCurve.map((v) => v.toFixed(3)).join(' ')}`,
    );
    assert.ok(by.LSTM < 0.5 * by.persistence, `LSTM ${by.LSTM} vs persistence ${by.persistence}`);
  });
}

test('save/load, forecastFrom, figure, and the commands', async () => {
  const model = join(dir, 'sine-run');
  await trainForecast({ values: sine, lookback: 10, horizon: 4, hiddenSize: 6, epochs: 2, out: model });
  const m = loadForecaster(model);
  assert.equal(m.norm.mean > 9 && m.norm.mean < 11, true);
  const p = forecastFrom(m, sine.subarray(0, 50), 4);
  assert.equal(p.length, 4);
  assert.throws(() => forecastFrom(m, [1, 2, 3]), /need at least lookback = 10 values, got 3/);
  assert.throws(() => forecastFrom(m, []), /empty input/);
  assert.throws(() => forecastFrom(m, sine.subarray(0, 10), 5), /at most its horizon/);
  const svg = await vegaLiteToSvg(forecastFigure(m, sine, 60));
  assert.match(svg, /<svg/);
  const ok = await runCli([
    'forecast',
    'predict',
    '--model',
    model,
    '--values',
    Array.from(sine.subarray(0, 12)).join(','),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim().split(' ').length, 4);
  assert.match(ok.stderr, /using the last 10 of 12 values/);
  const file = join(dir, 'hist.txt');
  writeFileSync(file, Array.from(sine.subarray(0, 10)).join('\n'));
  assert.equal((await runCli(['forecast', 'predict', '--model', model, '--input', file])).code, 0);
  const few = await runCli(['forecast', 'predict', '--model', model, '--values', '1,2,3']);
  assert.equal(few.code, 1);
  assert.match(few.stderr, /need at least lookback/);
  const empty = await runCli(['forecast', 'predict', '--model', model, '--values', ' , ']);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /empty input/);
  const nan = await runCli(['forecast', 'predict', '--model', model, '--values', '1,x,3']);
  assert.match(nan.stderr, /--values: value 2: "x" is not a decimal number/);
  const missing = await runCli(['forecast', 'predict', '--model', join(dir, 'none')]);
  assert.match(missing.stderr, /model file not found/);
  const other = join(dir, 'sent.safetensors');
  saveTaskModel(other, 'sentiment', {}, {}, {}, 0);
  const wrong = await runCli(['forecast', 'predict', '--model', other, '--values', '1']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /is a sentiment model, not a forecast model/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('CLI: forecast train on Mackey–Glass (tiny budget) prints the baseline table and writes the figure', async () => {
  const out = join(dir, 'mg-run');
  const fig = join(dir, 'mg');
  const r = await runCli([
    'forecast',
    'train',
    '--series',
    'mackey-glass',
    '--out',
    out,
    '--epochs',
    '1',
    '--hidden',
    '4',
    '--stride',
    '8',
    '--figure',
    fig,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /persistence/);
  assert.match(r.stdout, /linear AR\(32\)/);
  assert.match(r.stdout, /LSTM \(direct\)/);
  assert.ok(existsSync(`${fig}.png`));
});
