import {
  chronoSplit,
  denormalize,
  fitNormalizer,
  mackeyGlass,
  makeWindows,
  normalize,
  type Normalizer,
  usBirths,
  type Windows,
} from './series.js';
import { mseLoss } from '../../nn/losses.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, inContext, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { EpochBatches, type EpochBatchesState } from '../../data/batching.js';
import type { TrainTask } from '../../train/trainer.js';
import { type FinishedRun, type RunFlags, runTraining } from '../../node/run-dir.js';
import { lineChart, type VegaLiteSpec } from '../../node/plot.js';
import {
  countForecastParameters,
  errors,
  type ForecastConfig,
  Forecaster,
  LinearAR,
  validateForecastConfig,
} from './model.js';
import { checkDeclaredSize } from '../../io/safetensors.js';
import { loadTaskModel } from '../taskfile.js';

export type SeriesName = 'mackey-glass' | 'us-births';
export const SERIES_NAMES: readonly SeriesName[] = ['mackey-glass', 'us-births'];

/** Per-series defaults: window sizes that fit each series' dynamics. */
export const SERIES_DEFAULTS: Record<SeriesName, { lookback: number; horizon: number; season: number }> = {
  'mackey-glass': { lookback: 32, horizon: 16, season: 0 },
  'us-births': { lookback: 28, horizon: 7, season: 7 },
};

/** Load a named series: Mackey–Glass τ = 17 (3,000 samples) or the US daily births. */
export function loadSeries(name: SeriesName): Float64Array {
  if (name === 'mackey-glass') return mackeyGlass({ n: 3000, tau: 17 });
  if (name === 'us-births') return usBirths().values;
  throw new KiokuError(`unknown series ${JSON.stringify(name)} (expected one of ${SERIES_NAMES.join(', ')})`);
}

export interface ForecastTrainOptions extends Partial<ForecastConfig>, RunFlags {
  series?: SeriesName;
  /** A series to use instead of a named one (tests). */
  values?: Float64Array;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  clip?: number;
  stride?: number;
  seed?: number;
  /** The run directory (model.safetensors is the model); trains in memory when absent. */
  out?: string;
  log?: (m: string) => void;
}

export interface MethodScores {
  method: string;
  /** Errors of the 1-step-ahead forecast, original units. */
  step1: { rmse: number; mae: number };
  /** Errors over all 1..horizon steps. */
  all: { rmse: number; mae: number };
}

export interface ForecastReport {
  series: string;
  horizon: number;
  testWindows: number;
  scores: MethodScores[];
}

export interface ForecastTrainResult {
  finished: false;
  report: ForecastReport;
  epochs: number;
  seconds: number;
  valCurve: number[];
  config: ForecastConfig;
}

/** The data a forecaster is evaluated on: windows over the test part (inputs may reach back into validation). */
function windowsFrom(z: Float64Array, from: number, to: number, L: number, H: number, stride = 1) {
  const w = makeWindows(z.subarray(Math.max(0, from - L), to), { lookback: L, horizon: H, stride });
  return w;
}

/** Score the model against persistence, seasonal persistence and linear AR on test windows. */
export function evaluateForecast(
  model: Forecaster,
  z: Float64Array,
  norm: Normalizer,
  trainEnd: number,
  valEnd: number,
  season: number,
  seriesName: string,
): ForecastReport {
  const { lookback: L, horizon: H } = model.config;
  const tr = makeWindows(z.subarray(0, trainEnd), { lookback: L, horizon: H });
  const te = windowsFrom(z, valEnd, z.length, L, H);
  const N = te.count;
  const truth = denormalize(te.Y, norm);
  const score = (method: string, predZ: Float64Array): MethodScores => {
    const p = denormalize(predZ, norm);
    const p1: number[] = [];
    const t1: number[] = [];
    for (let i = 0; i < N; i++) {
      p1.push(p[i * H]);
      t1.push(truth[i * H]);
    }
    return { method, step1: errors(p1, t1), all: errors(p, truth) };
  };
  const persist = new Float64Array(N * H);
  for (let i = 0; i < N; i++) persist.fill(te.X[i * L + L - 1], i * H, (i + 1) * H);
  const scores = [score('persistence', persist)];
  if (season > 0 && season <= L) {
    const sp = new Float64Array(N * H);
    for (let i = 0; i < N; i++)
      for (let h = 0; h < H; h++) sp[i * H + h] = te.X[i * L + L - season + (h % season)];
    scores.push(score(`seasonal persistence (${season})`, sp));
  }
  scores.push(score(`linear AR(${L})`, LinearAR.fit(tr.X, tr.Y, tr.count, L, H).predict(te.X, N, H)));
  scores.push(score(`${model.config.cell.toUpperCase()} (${model.config.mode})`, model.predict(te.X, N, H)));
  return { series: seriesName, horizon: H, testWindows: N, scores };
}

/** What the forecasting task keeps for an exact resume (besides weights and optimizer). */
interface ForecastTaskState {
  batches: EpochBatchesState;
  lossSum: number;
  nb: number;
  valCurve: number[];
}

/**
 * Window regression as a `TrainTask`: the training windows reshuffled every epoch and cut
 * into batches, MSE on the (normalised) targets. Validation is the MSE on the validation
 * windows, once per epoch (`validateEvery` = `stepsPerEpoch`), recorded in `valCurve`.
 */
export class ForecastTask implements TrainTask {
  readonly stepsPerEpoch: number;
  valCurve: number[] = [];
  private readonly batches: EpochBatches;
  private lossSum = 0;
  private nb = 0;

  constructor(
    readonly model: Forecaster,
    private readonly tr: Windows,
    private readonly va: Windows,
    private readonly o: { batchSize: number; seed: number; epochs: number; log: (m: string) => void },
  ) {
    const n = tr.count;
    this.batches = new EpochBatches(new Rng(o.seed), (rng) => {
      const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      const out: number[][] = [];
      for (let s = 0; s < order.length; s += o.batchSize) out.push(order.slice(s, s + o.batchSize));
      return out;
    });
    this.stepsPerEpoch = this.batches.perEpoch;
  }

  trainBatch(): { loss: number; tokens: number } {
    const { model, tr } = this;
    const L = model.config.lookback;
    const outH = model.outputs;
    const idx = this.batches.next();
    const X = new Float64Array(idx.length * L); // [B, L]
    const Y = new Float64Array(idx.length * outH); // [B, H]
    idx.forEach((i, b) => {
      X.set(tr.X.subarray(i * L, (i + 1) * L), b * L);
      Y.set(tr.Y.subarray(i * outH, (i + 1) * outH), b * outH);
    });
    model.train();
    const y = model.forward(X, idx.length);
    const { loss, grad } = mseLoss(new Tensor(y, [idx.length, outH]), Y);
    if (!Number.isFinite(loss)) return { loss, tokens: idx.length };
    model.backward(grad.data);
    this.lossSum += loss;
    this.nb++;
    return { loss, tokens: idx.length };
  }

  /** Validation MSE (normalised units) at the end of an epoch. */
  validate(): number {
    const { model, va } = this;
    model.eval();
    const vp = model.forward(va.X, va.count);
    const vl = errors(vp, va.Y).rmse ** 2;
    this.valCurve.push(vl);
    this.o.log(
      `epoch ${this.batches.epoch + 1}/${this.o.epochs}: train MSE ${(this.lossSum / this.nb).toFixed(5)} val MSE ${vl.toFixed(5)} (normalised)`,
    );
    this.lossSum = 0;
    this.nb = 0;
    return vl;
  }

  getState(): ForecastTaskState {
    const { lossSum, nb, valCurve } = this;
    return { batches: this.batches.getState(), lossSum, nb, valCurve };
  }

  setState(state: unknown): void {
    const s = state as ForecastTaskState;
    this.batches.setState(s.batches);
    ({ lossSum: this.lossSum, nb: this.nb } = s);
    this.valCurve = [...s.valCurve];
  }
}

/**
 * Train a forecaster on a chronological 70/10/20 split: z-scored with the training part's
 * mean and std (stored with the model), windows with the given lookback/horizon/stride,
 * MSE, Adam, clipping, through the `Trainer`; the epoch with the lowest validation MSE is
 * kept (`keepBest`). With `out`, a run directory (see `runTraining`); its model.safetensors
 * is the model with its normalisation and test report.
 */
export async function trainForecast(
  opts: ForecastTrainOptions = {},
): Promise<ForecastTrainResult | FinishedRun> {
  const log = opts.log ?? (() => {});
  const w = 'forecast train';
  const name = opts.series ?? 'mackey-glass';
  if (!opts.values && !SERIES_NAMES.includes(name))
    throw new KiokuError(
      `${w}: series must be one of ${SERIES_NAMES.join(', ')}, got ${JSON.stringify(name)}`,
    );
  const d = SERIES_DEFAULTS[name] ?? SERIES_DEFAULTS['mackey-glass'];
  const config: ForecastConfig = {
    cell: opts.cell ?? 'lstm',
    hiddenSize: opts.hiddenSize ?? 32,
    numLayers: opts.numLayers ?? 1,
    lookback: opts.lookback ?? d.lookback,
    horizon: opts.horizon ?? d.horizon,
    mode: opts.mode ?? 'direct',
  };
  const epochs = checkNumber(w, 'epochs', opts.epochs ?? 15, { min: 1, integer: true });
  const batchSize = checkNumber(w, 'batchSize', opts.batchSize ?? 32, { min: 1, integer: true });
  const lr = checkNumber(w, 'lr', opts.lr ?? 3e-3, { min: 0 });
  const clip = checkNumber(w, 'clip', opts.clip ?? 1, { min: 0 });
  const stride = checkNumber(w, 'stride', opts.stride ?? 1, { min: 1, integer: true });
  const seed = checkNumber(w, 'seed', opts.seed ?? 1, { integer: true });
  const t0 = performance.now();
  const raw = opts.values ?? loadSeries(name);
  const { trainEnd, valEnd } = chronoSplit(raw.length);
  const norm = fitNormalizer(raw.subarray(0, trainEnd));
  const z = normalize(raw, norm);
  const model = new Forecaster(config, seed);
  const outH = model.outputs;
  const tr = makeWindows(z.subarray(0, trainEnd), { lookback: config.lookback, horizon: outH, stride });
  const va = windowsFrom(z, trainEnd, valEnd, config.lookback, outH);
  log(
    `${name}: ${raw.length} points, ${tr.count} training windows (lookback ${config.lookback}, ${config.mode} horizon ${config.horizon}), ${va.count} validation windows`,
  );
  const task = new ForecastTask(model, tr, va, { batchSize, seed, epochs, log });
  const extra: Record<string, unknown> = { normalizer: norm, season: d.season };
  const run = await runTraining({
    out: opts.out,
    resume: opts.resume,
    overwrite: opts.overwrite,
    allowChange: opts.allowChange,
    settings: { ...config, series: opts.values ? 'given' : name, epochs, batchSize, lr, clip, stride, seed },
    log,
    build: () => ({
      task,
      options: {
        optimizer: 'adam',
        lr,
        clip,
        clipMode: 'norm',
        epochs,
        validateEvery: task.stepsPerEpoch,
        checkpointEvery: task.stepsPerEpoch,
        keepBest: true,
      },
      meta: () => ({ config: { ...config, series: name, task: 'forecast' }, extra }),
    }),
  });
  if (run.finished) return run;
  const report = evaluateForecast(model, z, norm, trainEnd, valEnd, d.season, name);
  if (run.dir) {
    extra.report = report;
    run.dir.saveLatest(run.trainer.snapshot());
  }
  return {
    finished: false,
    report,
    epochs,
    seconds: (performance.now() - t0) / 1000,
    valCurve: task.valCurve,
    config,
  };
}

export interface LoadedForecaster {
  model: Forecaster;
  norm: Normalizer;
  series: string;
  season: number;
  report?: ForecastReport;
}

export function loadForecaster(path: string): LoadedForecaster {
  const f = loadTaskModel<ForecastConfig & { series: string }>(path, 'forecast');
  const { task: _t, series, ...rest } = f.config;
  const config = inContext(path, () => validateForecastConfig(rest as ForecastConfig));
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(path, f.model, () => countForecastParameters(config), { numLayers: config.numLayers });
  const model = new Forecaster(config);
  inContext(path, () => model.loadStateDict(f.model));
  model.eval();
  const norm = f.extra.normalizer as Normalizer | undefined;
  if (!norm || !Number.isFinite(norm.mean) || !(norm.std > 0))
    throw new KiokuError(`${path}: missing or invalid normalisation (mean, std)`);
  return {
    model,
    norm,
    series,
    season: Number(f.extra.season ?? 0),
    report: f.extra.report as ForecastReport | undefined,
  };
}

/** Forecast the next `steps` values after `history` (original units; the last `lookback` values are used). */
export function forecastFrom(
  m: LoadedForecaster,
  history: ArrayLike<number>,
  steps = m.model.config.horizon,
): Float64Array {
  const L = m.model.config.lookback;
  if (history.length === 0) throw new KiokuError('empty input: give at least one value');
  if (history.length < L) throw new KiokuError(`need at least lookback = ${L} values, got ${history.length}`);
  for (let i = 0; i < history.length; i++)
    if (!Number.isFinite(history[i])) throw new KiokuError(`value ${i + 1} is not a finite number`);
  const z = normalize(Array.from(history).slice(-L), m.norm);
  return denormalize(m.model.predict(z, 1, steps), m.norm);
}

/**
 * Figure: the first `span` test points of the series, the model's one-step forecasts and,
 * from a few origins, its full multi-step forecasts.
 */
export function forecastFigure(m: LoadedForecaster, raw: Float64Array, span = 240): VegaLiteSpec {
  const { trainEnd: _te, valEnd } = chronoSplit(raw.length);
  const L = m.model.config.lookback;
  const H = m.model.config.horizon;
  const end = Math.min(raw.length, valEnd + span);
  const rows: Record<string, unknown>[] = [];
  for (let t = valEnd; t < end; t++) rows.push({ t, value: raw[t], series: 'actual' });
  const z = normalize(raw, m.norm);
  const te = makeWindows(z.subarray(valEnd - L, end), { lookback: L, horizon: 1 });
  const one = denormalize(m.model.predict(te.X, te.count, 1), m.norm);
  for (let i = 0; i < te.count; i++) rows.push({ t: valEnd + i, value: one[i], series: 'one-step forecast' });
  for (let o = valEnd; o + H <= end; o += Math.max(H * 3, 30)) {
    const p = forecastFrom(m, raw.subarray(o - L, o), H);
    for (let h = 0; h < H; h++) rows.push({ t: o + h, value: p[h], series: `${H}-step forecast`, origin: o });
  }
  const spec = lineChart({
    title: `${m.series}: test-set forecasts (${m.model.config.cell.toUpperCase()}, ${m.model.config.mode})`,
    data: rows,
    x: 't',
    y: 'value',
    color: 'series',
    xTitle: 'time step',
    yTitle: 'value',
    width: 720,
  });
  // Separate multi-step segments by origin so they are not joined into one line.
  (spec as { encoding: Record<string, unknown> }).encoding.detail = { field: 'origin', type: 'nominal' };
  return spec;
}
