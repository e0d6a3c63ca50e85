/**
 * `kioku forecast train|predict`: LSTM/GRU forecasting of Mackey–Glass (τ = 17) or the US
 * daily births series, against persistence and linear-AR baselines, with a forecast figure.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { writeFileAtomic } from '../node/atomic.js';
import { type ForecastReport } from '../wings/forecast/train.js';
import {
  forecastFigure,
  forecastFrom,
  loadForecaster,
  loadSeries,
  SERIES_NAMES,
  type SeriesName,
  trainForecast,
} from '../wings/forecast/train.js';
import { KiokuError } from '../util/errors.js';
import { writeFigure } from '../node/plot.js';
import { cellNames } from '../nn/cells.js';
import { choiceArg, floatArg, intArg } from './options.js';

export const DEFAULT_FORECAST_MODEL = 'runs/forecast/model.safetensors';

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
  return parts.map((p, i) => {
    const v = Number(p);
    if (!Number.isFinite(v))
      throw new KiokuError(`${where}: value ${i + 1} (${JSON.stringify(p)}) is not a number`);
    return v;
  });
}

export function registerForecastCommands(program: Command): void {
  const fc = program
    .command('forecast')
    .description('Time-series forecasting with LSTM/GRU (Mackey–Glass, US births)');
  fc.command('train')
    .description('train a forecaster and compare RMSE/MAE with persistence and linear AR on the test part')
    .option('--series <name>', SERIES_NAMES.join(' or '), choiceArg(SERIES_NAMES), 'mackey-glass')
    .option('--out <path>', 'where to save the model', DEFAULT_FORECAST_MODEL)
    .option('--cell <cell>', `recurrent cell: ${cellNames().join(', ')}`, choiceArg(cellNames()), 'lstm')
    .option(
      '--mode <mode>',
      'direct (H outputs) or recursive (1 output fed back)',
      choiceArg(['direct', 'recursive'] as const),
      'direct',
    )
    .option('--hidden <n>', 'hidden size', intArg(1, 4096), 32)
    .option('--layers <n>', 'stacked layers', intArg(1, 4), 1)
    .option('--lookback <n>', 'input window (default per series)', intArg(1, 10000))
    .option('--horizon <n>', 'steps ahead (default per series)', intArg(1, 10000))
    .option('--stride <n>', 'window stride', intArg(1, 10000), 1)
    .option('--epochs <n>', 'epochs', intArg(1, 10000), 15)
    .option('--batch <n>', 'batch size', intArg(1, 4096), 32)
    .option('--lr <x>', 'Adam learning rate', floatArg(0, 10, true), 3e-3)
    .option('--seed <n>', 'random seed', intArg(), 1)
    .option('--figure <base>', 'also write the forecast figure to <base>.svg/.png')
    .option('--report <file>', 'write the result as JSON')
    .action(async (o) => {
      const r = await trainForecast({
        series: o.series,
        out: o.out,
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
      printReport(r.report);
      if (o.report) writeFileAtomic(o.report, new TextEncoder().encode(JSON.stringify(r, null, 2) + '\n'));
      if (o.figure) {
        const f = await writeFigure(o.figure, forecastFigure(loadForecaster(o.out), loadSeries(o.series)));
        process.stderr.write(`wrote ${f.svg} and ${f.png}\n`);
      }
    });
  fc.command('predict')
    .description(
      'forecast the next steps after given values, or show the test-set scores and figure of a model',
    )
    .option('--model <path>', 'trained model', DEFAULT_FORECAST_MODEL)
    .option('--values <list>', 'recent history, comma/space separated (at least lookback values)')
    .option('--input <file>', 'read the history from a text file (one or more numbers per line)')
    .option('--steps <n>', 'steps ahead (default: the model horizon)', intArg(1, 100000))
    .option('--figure <base>', "write a forecast figure on the model's own series to <base>.svg/.png")
    .action(async (o) => {
      const m = loadForecaster(o.model);
      const steps = o.steps ?? m.model.config.horizon;
      if (o.values !== undefined || o.input !== undefined) {
        let text: string;
        if (o.input !== undefined) {
          try {
            text = readFileSync(o.input, 'utf8');
          } catch {
            throw new KiokuError(`input file not found: ${o.input}`);
          }
        } else text = o.values;
        const hist = parseValues(text, o.input ?? '--values');
        const L = m.model.config.lookback;
        if (hist.length > L)
          process.stderr.write(`note: using the last ${L} of ${hist.length} values (the model's lookback)\n`);
        const p = forecastFrom(m, hist, steps);
        console.log(Array.from(p, (v) => Number(v.toPrecision(6))).join(' '));
      } else if (m.report) printReport(m.report);
      if (o.figure) {
        if (!SERIES_NAMES.includes(m.series as SeriesName))
          throw new KiokuError(`--figure needs a model trained on a named series, this one is '${m.series}'`);
        const f = await writeFigure(o.figure, forecastFigure(m, loadSeries(m.series as SeriesName)));
        process.stderr.write(`wrote ${f.svg} and ${f.png}\n`);
      }
    });
}
