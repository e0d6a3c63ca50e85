/**
 * `kioku forecast train|predict`: LSTM/GRU forecasting of Mackey–Glass (τ = 17) or the US
 * daily births series, against persistence and linear-AR baselines, with a forecast figure.
 */
import type { Command } from 'commander';
import { readTextBounded } from '../node/files.js';
import { writeFigure } from '../node/plot.js';
import { cellNames } from '../nn/cells.js';
import { KiokuError } from '../util/errors.js';
import { readDecimal } from '../util/numbers.js';
import {
  type ForecastReport,
  forecastFigure,
  forecastFrom,
  loadForecaster,
  loadSeries,
  SERIES_NAMES,
  trainForecast,
} from '../wings/forecast/train.js';
import { isFinished, reportOption, runFlags, runOptions, writeReport } from './run-flags.js';
import { attachArea, choice, defineCommand, float, int, str, UsageError } from './schema.js';

export const DEFAULT_FORECAST_RUN = 'runs/forecast';

function printReport(r: ForecastReport): void {
  console.log(`${r.series}: ${r.testWindows} test windows, horizon ${r.horizon}`);
  console.log(
    `${'method'.padEnd(28)} ${'RMSE@1'.padStart(10)} ${'MAE@1'.padStart(10)} ${`RMSE@1..${r.horizon}`.padStart(12)} ${`MAE@1..${r.horizon}`.padStart(12)}`,
  );
  for (const s of r.scores) {
    const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));
    console.log(
      `${s.method.padEnd(28)} ${f(s.step1.rmse).padStart(10)} ${f(s.step1.mae).padStart(10)} ${f(s.all.rmse).padStart(12)} ${f(s.all.mae).padStart(12)}`,
    );
  }
}

/** Parse numbers from "1,2 3\n4" (commas, spaces or newlines). */
function parseValues(text: string, where: string): number[] {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new KiokuError(`empty input: ${where} has no values`);
  return parts.map((p, i) => readDecimal(p, `${where}: value ${i + 1}`));
}

function isSeriesName(s: string): s is (typeof SERIES_NAMES)[number] {
  return SERIES_NAMES.some((n) => n === s);
}

const train = defineCommand({
  name: 'train',
  description: 'train a forecaster and compare RMSE/MAE with persistence and linear AR on the test part',
  options: {
    series: choice('the series', SERIES_NAMES, { default: 'mackey-glass' }),
    out: str('run directory (model.safetensors is the model)', { arg: 'dir', default: DEFAULT_FORECAST_RUN }),
    ...runOptions,
    cell: choice('recurrent cell', cellNames, { default: 'lstm' }),
    mode: choice('direct (H outputs) or recursive (1 output fed back)', ['direct', 'recursive'] as const, {
      default: 'direct',
    }),
    hidden: int('hidden size', { min: 1, max: 4096, default: 32 }),
    layers: int('stacked layers', { min: 1, max: 4, default: 1 }),
    lookback: int('input window (default per series)', { min: 1, max: 10000 }),
    horizon: int('steps ahead (default per series)', { min: 1, max: 10000 }),
    stride: int('window stride', { min: 1, max: 10000, default: 1 }),
    epochs: int('epochs', { min: 1, max: 10000, default: 15 }),
    batch: int('batch size', { min: 1, max: 4096, default: 32 }),
    lr: float('Adam learning rate', { min: 0, minExclusive: true, max: 10, default: 3e-3 }),
    seed: int('random seed', { default: 1 }),
    figure: str('also write the forecast figure to <base>.svg/.png', { arg: 'base' }),
    ...reportOption,
  },
  async run(o) {
    const r = await trainForecast({
      series: o.series,
      out: o.out,
      ...runFlags(o),
      cell: o.cell,
      mode: o.mode,
      hiddenSize: o.hidden,
      numLayers: o.layers,
      ...(o.lookback ? { lookback: o.lookback } : {}),
      ...(o.horizon ? { horizon: o.horizon } : {}),
      stride: o.stride,
      epochs: o.epochs,
      batchSize: o.batch,
      lr: o.lr,
      seed: o.seed,
      log: (m) => process.stderr.write(m + '\n'),
    });
    if (isFinished(r)) return r;
    writeReport(o.report, r);
    if (o.figure) {
      const f = await writeFigure(o.figure, forecastFigure(loadForecaster(o.out), loadSeries(o.series)));
      process.stderr.write(`wrote ${f.svg} and ${f.png}\n`);
    }
    return { model: o.out, ...r };
  },
  print: (r) => (isFinished(r) ? console.log(r.message) : printReport(r.report)),
});

const predict = defineCommand({
  name: 'predict',
  description:
    'forecast the next steps after given values, or show the test-set scores and figure of a model',
  options: {
    model: str('run directory or model file', { arg: 'path', default: DEFAULT_FORECAST_RUN }),
    values: str('recent history, comma/space separated (at least lookback values)', { arg: 'list' }),
    input: str('read the history from a text file (one or more numbers per line)', { arg: 'file' }),
    steps: int('steps ahead (default: the model horizon)', { min: 1, max: 100000 }),
    figure: str("write a forecast figure on the model's own series to <base>.svg/.png", { arg: 'base' }),
  },
  async run(o) {
    if (o.values !== undefined && o.input !== undefined) throw new UsageError('give --values or --input, not both');
    const m = loadForecaster(o.model);
    const steps = o.steps ?? m.model.config.horizon;
    let forecast: number[] | undefined;
    if (o.values !== undefined || o.input !== undefined) {
      const text = o.input !== undefined ? readTextBounded(o.input, { what: 'input' }) : (o.values ?? '');
      const hist = parseValues(text, o.input ?? '--values');
      const L = m.model.config.lookback;
      if (hist.length > L)
        process.stderr.write(`note: using the last ${L} of ${hist.length} values (the model's lookback)\n`);
      forecast = Array.from(forecastFrom(m, hist, steps), (v) => Number(v.toPrecision(6)));
    }
    if (o.figure) {
      if (!isSeriesName(m.series))
        throw new KiokuError(`--figure needs a model trained on a named series, this one is '${m.series}'`);
      const f = await writeFigure(o.figure, forecastFigure(m, loadSeries(m.series)));
      process.stderr.write(`wrote ${f.svg} and ${f.png}\n`);
    }
    return { series: m.series, forecast, report: m.report };
  },
  print(r) {
    if (r.forecast) console.log(r.forecast.join(' '));
    else if (r.report) printReport(r.report);
  },
});

export function registerForecastCommands(program: Command): void {
  attachArea(program, 'forecast', 'Time-series forecasting with LSTM/GRU (Mackey–Glass, US births)', [
    train,
    predict,
  ]);
}
